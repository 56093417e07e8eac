from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings

FIXTURES = Path(__file__).parent / "fixtures" / "moodle"
POSTGRES_URL = os.environ.get(
    "MOODLE_BRIDGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# No test depends on the machine's speed: hypothesis's default deadline (200 ms an example) and its
# "too slow" health check fail on a loaded machine (CI with both cores busy), not on a wrong answer.
# A test's own @settings still inherits these unless it names them.
settings.register_profile("loaded-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("loaded-machine")


def count_flags(connection: sa.Connection) -> None:
    """Each result's flag count from the flags written beside it, as an evaluation (and migration 0014) writes it:
    for tests that write results and flags as plain rows."""
    connection.execute(sa.text(
        "UPDATE evaluation_results SET flags = (SELECT COUNT(*) FROM evaluation_flags f WHERE f.cadre_id = "
        "evaluation_results.cadre_id AND f.since_evaluation = evaluation_results.since_evaluation)"))


def fixture_files() -> list[Path]:
    """Every recorded call: successes, extras and errors (not the index)."""
    return sorted(p for p in FIXTURES.rglob("*.json") if p.name not in ("INDEX.json", "functions.json"))


def load_fixture(relative: str) -> dict[str, Any]:
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


def relative_name(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


# --- databases: every store test runs on SQLite and on PostgreSQL ----------------------------

_postgres_outcomes = {"ran": 0, "skipped": 0}


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    request.node.add_marker(pytest.mark.postgres)
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        _postgres_outcomes["skipped"] += 1
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and unreachable at {POSTGRES_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    _postgres_outcomes["ran"] += 1
    url = sa.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def pytest_sessionfinish(session, exitstatus):
    """In CI a PostgreSQL test must run, and none may be skipped."""
    if not IN_CI or session.config.option.collectonly:
        return
    if _postgres_outcomes["skipped"] or (session.testscollected and not _postgres_outcomes["ran"]):
        session.config.pluginmanager.get_plugin("terminalreporter").write_line(
            f"PostgreSQL tests: {_postgres_outcomes['ran']} ran, {_postgres_outcomes['skipped']} "
            "skipped; CI requires them to run", red=True
        )
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def english_labels():
    """Tests match English labels whatever the machine's LANG."""
    from moodle_bridge.i18n import set_language

    set_language("en")
    yield
    set_language(None)


@pytest.fixture(autouse=True)
def quiet_logs():
    """Only warnings and errors from the code under test (tests capture what they check)."""
    import io

    from moodle_bridge.log import configure_logging

    configure_logging("warning", "console", stream=io.StringIO())

"""One error boundary: every command ends with one plain line and its exit code; a traceback only with --debug
(issue 11, item 8)."""

from __future__ import annotations

import socket
import sqlite3
import zipfile

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from moodle_bridge.cli import main
from moodle_bridge.moodle import DeadlineExceeded, MoodleConnectionError
from moodle_bridge.store import connect, upgrade

TOKEN = "t0ken-never-shown"


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A configuration whose Moodle refuses connections, and a migrated SQLite store."""
    for name in list(__import__("os").environ):
        if name.startswith("MOODLE_BRIDGE_") and name != "MOODLE_BRIDGE_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = tmp_path / "store.db"
    (tmp_path / "moodle_bridge.toml").write_text(
        f'[moodle]\nurl = "http://127.0.0.1:{port}"\n[moodle.retry]\nattempts = 1\n'
        f'[store]\nurl = "sqlite:///{store}"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MOODLE_BRIDGE_MOODLE__TOKEN", TOKEN)
    engine = connect(f"sqlite:///{store}")
    upgrade(engine)
    engine.dispose()
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def one_line(result) -> str:
    """The run ended through the boundary: an exit code, no traceback, and the error as its last line."""
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.output.strip().splitlines()[-1]


def test_moodle_unreachable_ends_the_sync_with_one_line_exit_1(site):
    result = run("sync")
    assert result.exit_code == 1
    assert "could not connect to http://127.0.0.1:" in result.output and "Check moodle.url" in result.output
    assert one_line(result).startswith("Sync failed: ") and TOKEN not in result.output


def test_a_read_only_store_has_its_own_sentence(site, monkeypatch, tmp_path):
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).close()  # an empty SQLite file, opened read-only: like a file the user cannot write
    plain.write_bytes(plain.read_bytes())
    monkeypatch.setenv("MOODLE_BRIDGE_STORE__URL", f"sqlite:///file:{plain}?mode=ro&uri=true")
    result = run("db", "upgrade")
    assert result.exit_code == 1
    assert "is read-only: let the user running moodle_bridge write to it" in one_line(result)


def test_a_store_newer_than_the_code_is_refused_not_downgraded(site):
    engine = connect(f"sqlite:///{site / 'store.db'}")
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dfacef00d'"))
    for command in (["status"], ["db", "upgrade"]):
        result = run(*command)
        assert result.exit_code == 1, command
        line = one_line(result)
        assert "schema f00dfacef00d, newer than this moodle_bridge knows" in line and "upgrade moodle_bridge" in line
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "f00dfacef00d"
    engine.dispose()


def _locked() -> Exception:
    """A real 'database is locked' from the driver, as SQLAlchemy raises it."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        holder = sqlite3.connect(f"{folder}/x.db", isolation_level=None)
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN EXCLUSIVE")
        try:
            sqlite3.connect(f"{folder}/x.db", timeout=0).execute("INSERT INTO t VALUES (1)")
        except sqlite3.OperationalError as exc:
            return sa.exc.OperationalError("INSERT INTO t VALUES (1)", {}, exc)
        finally:
            holder.close()
    raise AssertionError("the lock did not hold")


def _bad_utf8() -> Exception:
    try:
        b"caf\xe9".decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc
    raise AssertionError


@pytest.mark.parametrize(("failure", "code", "expected"), [
    (_locked, 1, "is locked by another program (waited 30 s): try again"),
    (lambda: sa.exc.OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full")), 1,
     "is full (its disk has no space left): free some space"),
    (lambda: sa.exc.OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: sync_runs")), 1,
     "run `moodle-bridge db upgrade`"),
    (lambda: sa.exc.OperationalError("SELECT", {}, sqlite3.OperationalError("something new")), 1,
     "The store failed (something new): check store.url"),
    (lambda: PermissionError(13, "Permission denied", "/srv/reports/units.csv"), 1,
     "/srv/reports/units.csv: Permission denied: check the path"),
    (_bad_utf8, 2, "not UTF-8 text (byte 3)"),
    (lambda: MoodleConnectionError("could not connect to https://m.example (ConnectionError)", never_sent=True), 1,
     "Moodle: could not connect to https://m.example (ConnectionError) Check moodle.url"),
    (lambda: DeadlineExceeded("no complete answer from https://m.example within 600 s (moodle.call_deadline)"), 1,
     "Moodle: no complete answer from https://m.example within 600 s (moodle.call_deadline) The site"),
    (lambda: RuntimeError("boom\nwith a second line"), 1,
     "Unexpected error (RuntimeError: boom with a second line); run again with --debug"),
])
def test_known_failures_anywhere_end_as_one_line_and_their_exit_code(site, monkeypatch, failure, code, expected):
    error = failure()

    def fails(_engine):
        raise error

    monkeypatch.setattr("moodle_bridge.store.status.mirror_status", fails)
    result = run("status")
    assert result.exit_code == code
    assert expected in one_line(result)


def test_debug_shows_the_traceback_of_an_unexpected_failure(site, monkeypatch):
    def fails(_engine):
        raise RuntimeError("boom")

    monkeypatch.setattr("moodle_bridge.store.status.mirror_status", fails)
    result = run("--debug", "status")
    assert isinstance(result.exception, RuntimeError)  # click leaves it to Python: the traceback


def test_an_xlsx_that_is_not_a_zip_names_the_file(site):
    fake = site / "training.xlsx"
    fake.write_text("cadre_id,course\n1,x\n", encoding="utf-8")
    result = run("credits", "import", str(fake))
    assert result.exit_code == 2
    line = one_line(result)
    assert f"{fake}: not a readable Excel workbook" in line and "save it again" in line
    assert zipfile.is_zipfile(fake) is False


@pytest.mark.parametrize("url", ["mysql://root:hunter2@db/bridge", "sqlite+nosuchdriver:///x.db"])
def test_an_unusable_store_url_is_a_config_error_naming_the_key(site, monkeypatch, url):
    monkeypatch.setenv("MOODLE_BRIDGE_STORE__URL", url)
    result = run("status")
    assert result.exit_code == 2
    line = one_line(result)
    assert "store.url" in line and "sqlite:///" in line and "postgresql" in line and "hunter2" not in line


def test_unknown_entities_are_a_usage_error_of_one_line(site):
    result = run("sync", "--only", "badges")
    assert result.exit_code == 2 and one_line(result).startswith("unknown entities: badges")

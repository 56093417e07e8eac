"""The review page's fixture: a store with four flagged cadres in two units, and three accounts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import evaluation_flags, evaluation_results, evaluations, sync_runs
from moodle_bridge.web import accounts
from moodle_bridge.web.app import create_app

from ..conftest import count_flags

PASSWORD = "correct horse battery"
NOW = datetime(2026, 11, 21, tzinfo=UTC)
CADRES = [("A1", "U1", "Unit One", "Alice <b>Wang</b>"), ("A2", "U1", "Unit One", "<script>alert(1)</script>"),
          ("B1", "U2", "Unit Two", "Bob Li"), ("B2", "U2", "Unit Two", "=cmd|' /C calc'!A0")]


def review_store(path: Path) -> Engine:
    """A migrated store at ``path`` with the four cadres' evaluation, a sync, and three accounts."""
    engine = connect(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as c:
        c.execute(sa.insert(evaluations).values(id=1, period="2026", as_of=date(2026, 11, 21), rules_hash="r",
                                                exemptions_hash="e", created_at=NOW, counts={}))
        c.execute(sa.insert(sync_runs).values(kind="full", started_at=NOW, finished_at=NOW, status="succeeded",
                                              counts={}))
        c.execute(sa.insert(evaluation_results), [
            {"since_evaluation": 1, "period": "2026", "cadre_id": cid, "user_id": n, "name": name, "unit_code": code,
             "unit_name": unit, "groups": ["township"], "status": "at_risk", "hours_online": 10, "hours_offline": 5,
             "required_hours": 90} for n, (cid, code, unit, name) in enumerate(CADRES)])
        c.execute(sa.insert(evaluation_flags), [
            {"since_evaluation": 1, "period": "2026", "cadre_id": cid, "kind": "insufficient_hours",
             "group_name": "township",
             "rule": "groups.township.requirements[0]", "evidence": {"required": 90, "achieved": 15, "period": "2026"}}
            for cid, *_ in CADRES])
        count_flags(c)
    accounts.add(engine, "admin", PASSWORD, "admin", [])
    accounts.add(engine, "one", PASSWORD, "reviewer", ["U1"])
    accounts.add(engine, "two", PASSWORD, "reviewer", ["U2"])
    return engine


@pytest.fixture
def app_engine(tmp_path):
    engine = review_store(tmp_path / "store.db")
    app = create_app(engine, "test-secret-key")
    yield app, engine
    engine.dispose()

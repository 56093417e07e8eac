"""Rows written in bulk read back exactly as rows SQLAlchemy writes, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.bulk import insert_rows
from moodle_bridge.store.schema import credit_entries, evaluation_flags, evaluation_results, evaluations

ENTRY = {"cadre_id": "CD1", "source": "completion:2:10", "period": "2026", "hours": 4.5, "online": True,
         "earned_at": 1767225600, "kind": "credit", "reason": None, "rules_hash": "r" * 64,
         "detail": {"course": 2, "grade": 90.0, "name": "党史 «一»"},
         "created_at": datetime(2026, 11, 30, 8, tzinfo=UTC)}
RESULT = {"since_evaluation": 1, "period": "2026", "cadre_id": "CD1", "user_id": 10, "name": "马涛",
          "unit_code": "U1", "unit_name": "大堂镇", "groups": ["township", "x"], "status": "at_risk",
          "hours_online": 12.5, "hours_offline": 0.0, "required_hours": None, "recheck_at": 1798732800}
FLAG = {"since_evaluation": 1, "period": "2026", "cadre_id": "CD1", "kind": "insufficient_hours",
        "group_name": "township", "rule": "groups.township.requirements[0]",
        "evidence": {"required": 90, "open_courses": [{"id": 2, "name": "党史", "hours": 4}]}}


def test_bulk_rows_read_back_as_sqlalchemys(db_url):
    engine = connect(db_url)
    upgrade(engine)
    with engine.begin() as c:
        c.execute(sa.insert(evaluations).values(id=1, period="2026", as_of=datetime(2026, 11, 30).date(),
                                                rules_hash="r", exemptions_hash="e", created_at=ENTRY["created_at"],
                                                counts={}))
        for table, row in ((credit_entries, ENTRY), (evaluation_results, RESULT), (evaluation_flags, FLAG)):
            insert_rows(c, table, [row])
            c.execute(sa.insert(table), [{**row, "cadre_id": "CD2"}])
    with engine.connect() as c:
        for table, row in ((credit_entries, ENTRY), (evaluation_results, RESULT), (evaluation_flags, FLAG)):
            read = {r.cadre_id: {k: v for k, v in r._mapping.items() if k != "id"} for r in c.execute(
                sa.select(table))}
            assert set(read) == {"CD1", "CD2"}
            assert read["CD1"] == {**read["CD2"], "cadre_id": "CD1"}, table.name
            assert {k: read["CD1"][k] for k in row if k != "created_at"} == {
                k: v for k, v in row.items() if k != "created_at"}
    engine.dispose()

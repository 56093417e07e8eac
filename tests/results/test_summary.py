"""The year-end summary: who is still short, and the make-up their shortfall owes next period by the rules that
judged them; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from moodle_bridge import results
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import evaluation_flags, evaluation_results, evaluations, rules_files

from ..conftest import count_flags

NOW = datetime(2026, 12, 31, tzinfo=UTC)
RULES_TEXT = (Path(__file__).parents[1] / "rules" / "makeup_rules.yaml").read_text(encoding="utf-8")
# (cadre, unit, group, status, hours, required): township asks make-up within 6 months; "elsewhere" is no group of
# the rules (asks none)
CADRES = [("A", "U1", "township", "non_compliant", 40.0, 90.0),  # 50 short: make-up
          ("B", "U1", "township", "non_compliant", 95.0, 90.0),  # a course missing, no hours short
          ("C", "U2", "township", "at_risk", 80.0, 90.0),  # 10 short, not (yet) non-compliant: owes nothing yet
          ("D", "U2", "township", "exempt", 0.0, None),
          ("E", "U2", "township", "compliant", 100.0, 90.0),
          ("F", "U2", "elsewhere", "non_compliant", 10.0, 90.0)]  # 80 short, no make-up asked


@pytest.fixture
def engine(db_url):
    engine = connect(db_url)
    upgrade(engine)
    with engine.begin() as c:
        c.execute(sa.insert(rules_files).values(rules_hash="kept", text=RULES_TEXT, first_used_at=NOW))
        for number, rules_hash in ((1, "kept"), (2, "not-kept")):
            c.execute(sa.insert(evaluations).values(id=number, period=str(2025 + number), as_of=date(2026, 12, 31),
                                                    rules_hash=rules_hash, exemptions_hash="e", created_at=NOW,
                                                    counts={}))
            c.execute(sa.insert(evaluation_results), [
                {"since_evaluation": number, "period": str(2025 + number), "cadre_id": cid, "user_id": i,
                 "name": f"Cadre {cid}", "unit_code": unit, "unit_name": f"Unit {unit}", "groups": [group],
                 "status": status, "hours_online": hours, "hours_offline": 0, "required_hours": required}
                for i, (cid, unit, group, status, hours, required) in enumerate(CADRES)])
        c.execute(sa.insert(evaluation_flags), [
            {"since_evaluation": 1, "period": "2026", "cadre_id": "A", "kind": "insufficient_hours",
             "group_name": "township", "rule": "r", "evidence": {"required": 90, "achieved": 40, "period": "2026"}},
            {"since_evaluation": 1, "period": "2026", "cadre_id": "B", "kind": "missing_required_course",
             "group_name": "township", "rule": "r",
             "evidence": {"due": "2026-06-30", "missing": ["Party history"], "required": [], "need": "all"}}])
        count_flags(c)
    yield engine
    engine.dispose()


def test_who_is_still_short_and_by_how_many_hours(engine):
    with engine.connect() as c:
        summary = results.year_summary(c, "2026")
    assert [(s.cadre_id, s.short, [f.kind for f in s.flags]) for s in summary.still_short] == [
        ("A", 50.0, ["insufficient_hours"]), ("B", 0.0, ["missing_required_course"]), ("F", 80.0, [])]
    assert summary.rates.total.cadres == 6 and summary.evaluation.id == 1


def test_the_make_up_owed_next_period_by_the_rules_that_judged(engine):
    with engine.connect() as c:
        summary = results.year_summary(c, "2026")
    # A is short in a group that asks make-up within 6 months of 1 January 2027; F's group asks none; C, at risk,
    # may still make its hours up this period (an evaluation before the period's end)
    assert [(m.cadre.cadre_id, m.cadre.short, m.due) for m in summary.makeup] == [("A", 50.0, date(2027, 7, 1))]


def test_without_the_rules_kept_the_make_up_is_not_guessed(engine):
    with engine.connect() as c:
        summary = results.year_summary(c)  # the latest period: 2027, judged by rules not kept
    assert summary.evaluation.id == 2 and summary.makeup is None and len(summary.still_short) == 3

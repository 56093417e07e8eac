"""When a shortfall becomes make-up: the day the cadre's groups ask it made up by, in the next period."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from moodle_bridge.rules.evaluate import Situation, evaluate_cadre
from moodle_bridge.rules.facts import CadreFacts
from moodle_bridge.rules.makeup_owed import makeup_due
from moodle_bridge.rules.periods import day_end, period
from moodle_bridge.services.rules_file import load_rules

RULES = load_rules(Path(__file__).parent / "makeup_rules.yaml").rules


def test_a_shortfall_is_made_up_within_the_months_the_groups_ask():
    # the 2026 shortfall is judged in 2027, whose window opens on 1 January: six months later
    assert makeup_due(RULES, ["township"], "2026") == date(2027, 7, 1)
    assert makeup_due(RULES, ["nobody"], "2026") is None


def test_the_day_is_the_one_the_make_up_requirement_judges_by():
    cadre = CadreFacts(user_id=1, cadre_id="A", name="A", unit_code="U", unit_name="U", rank="staff",
                       category=None)
    late = day_end(date(2027, 8, 1), RULES.organisation)  # past the due day: flagged, with the day
    result = evaluate_cadre(cadre, [], {}, [], Situation(RULES, period("2027", RULES.organisation), late, {}),
                            previous_shortfall=20.0)
    flag = next(f for f in result.flags if f.kind == "makeup_due")
    assert flag.evidence["due"] == makeup_due(RULES, result.groups, "2026").isoformat()

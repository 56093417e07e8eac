"""Today's period has one definition: the as-of day's (the CLI's evaluate, the pipeline and the demo use it)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from moodle_bridge.services.evaluation import as_of_and_period
from moodle_bridge.services.rules_file import load_rules

RULES = load_rules(Path(__file__).parents[1] / "rules" / "small_rules.yaml").rules


def test_the_period_is_the_as_of_days():
    assert as_of_and_period(RULES, as_of=date(2025, 6, 1)) == (date(2025, 6, 1), "2025")
    assert as_of_and_period(RULES, "2027", date(2025, 6, 1)) == (date(2025, 6, 1), "2027")  # named: as named
    day, label = as_of_and_period(RULES)
    assert label == str(day.year)  # periods start on 1 January here

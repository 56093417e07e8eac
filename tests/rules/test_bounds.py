"""Values a person or a file supplies stay in bounds: the rules model, the ledger's last guard, stored exemptions."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from pydantic import BaseModel

from moodle_bridge.rules.bounds import EARLIEST, LATEST
from moodle_bridge.rules.credits import offline_credits
from moodle_bridge.rules.exemptions import in_window
from moodle_bridge.rules.facts import Credit, OfflineFact
from moodle_bridge.rules.kinds import requirement_models
from moodle_bridge.rules.ledger import Entry, NotFinite, accepted, adjustment, credits_of, postings, standing_of
from moodle_bridge.rules.loader import RulesError, parse_rules
from moodle_bridge.rules.model import Rules
from moodle_bridge.rules.periods import day_end

REQUIREMENT = "{kind: min_hours, hours: 5}"


def rules_text(head: str = "", requirement: str = REQUIREMENT) -> str:
    return (head + "groups:\n  g:\n    label: G\n    select: {rank: a}\n    requirements:\n"
            f"      - {requirement}\n")


@pytest.mark.parametrize(("head", "requirement", "expected"), [
    ("", '{kind: required_courses, courses: [{idnumber: X}], due: "9999-12-31"}',
     "r.yaml:6 groups.g.requirements[0].due: 9999-12-31 is outside 1990-01-01 to 2100-12-31"),
    ("", '{kind: required_reading, courses: [{idnumber: X}], due: "1900-01-01"}',
     "r.yaml:6 groups.g.requirements[0].due: 1900-01-01 is outside"),
    ("credits: {offline_hours_per_day: .inf}\n", REQUIREMENT, "r.yaml:1 credits.offline_hours_per_day: inf is not"),
    ("credits: {pass_grade: .nan}\n", REQUIREMENT, "r.yaml:1 credits.pass_grade: nan is not a finite number"),
    ("credits: {excellent: {min_grade: -.inf, factor: 2}}\n", REQUIREMENT, "r.yaml:1 credits.excellent.min_grade:"),
    ("credits: {excellent: {min_grade: 90, factor: 1e308}}\n", REQUIREMENT, "r.yaml:1 credits.excellent.factor:"),
    ("credits: {offline_hours_per_day: 25}\n", REQUIREMENT, "r.yaml:1 credits.offline_hours_per_day:"),
    ("", "{kind: min_hours, hours: 1e308}", "r.yaml:6 groups.g.requirements[0].hours:"),
    ("", "{kind: window, start_year: 9999, years: 5, hours: 550}", "r.yaml:6 groups.g.requirements[0].start_year:"),
    ("courses: {default_hours: .inf}\n", REQUIREMENT, "r.yaml:1 courses.default_hours:"),
    ("status: {due_soon_days: 100000000}\n", REQUIREMENT, "r.yaml:1 status.due_soon_days:"),
    ("organisation: {period_start: '13-45'}\n", REQUIREMENT, "r.yaml:1 organisation.period_start: '13-45' is not"),
    ('exemptions:\n  - {cadre_id: C1, reason: x, from: "0001-01-01", to: "2026-01-01"}\n', REQUIREMENT,
     "r.yaml:2 exemptions[0].from: 0001-01-01 is outside 1990-01-01 to 2100-12-31"),
])
def test_rules_check_refuses_values_out_of_bounds_with_line_key_and_reason(head, requirement, expected):
    with pytest.raises(RulesError) as caught:
        parse_rules(rules_text(head, requirement), "r.yaml")
    assert any(p.startswith(expected) for p in caught.value.problems), caught.value.problems


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    if model in seen:
        return seen
    seen.add(model)
    for info in model.model_fields.values():
        for arg in _types(info.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                _models(arg, seen)
    return seen


def _types(annotation: object) -> list[object]:
    found = [annotation]
    for arg in getattr(annotation, "__args__", ()):
        found += _types(arg)
    return found


def test_every_model_of_the_rules_refuses_infinity_and_nan_in_every_float():
    models: set[type[BaseModel]] = set()
    for model in [Rules, *requirement_models()]:
        _models(model, models)
    assert len(models) > 10
    assert [m.__name__ for m in models if m.model_config.get("allow_inf_nan", True)] == []


def test_the_ledger_refuses_a_non_finite_posting():
    for amount in (float("inf"), float("-inf"), float("nan")):
        with pytest.raises(NotFinite, match="not a finite number"):
            postings([Credit("offline:1", "C1", "2026", amount, False, 0)], {})
        with pytest.raises(NotFinite):
            postings([Credit("offline:1", "C1", "2026", amount, False, 0)], {}, closed={"2026"})  # no difference either
        with pytest.raises(NotFinite):
            adjustment(1, "C1", amount, "why", "2026", False, 0)


def test_an_inf_offline_row_can_never_become_an_entry():
    """A row stored by an older version with days=1e308 earns +inf hours: the ledger posts nothing."""
    from moodle_bridge.rules.model import Rules as RulesModel

    rules = RulesModel.model_validate({"groups": {"g": {"label": "G", "select": {"rank": "a"},
                                                        "requirements": [{"kind": "min_hours", "hours": 5}]}}})
    earned, _refused = offline_credits([OfflineFact("offline:1", "C1", "X", date(2026, 3, 1), 1e308, None)], rules)
    with pytest.raises(NotFinite, match="offline:1"):
        postings(earned, {})


def test_non_finite_entries_already_stored_stand_for_nothing():
    stored = [Entry("C1", "offline:1", "2026", float("inf"), False, 0, "credit"),
              Entry("C1", "offline:1", "2026", float("-inf"), False, 0, "reversal"),
              Entry("C1", "offline:2", "2026", 4.0, False, 0, "credit")]
    standing = standing_of(stored)
    assert standing[("C1", "offline:2", "2026")].hours == 4.0
    assert [c.hours for c in credits_of(stored)["C1"]] == [4.0]
    entries, _ = postings([Credit("offline:2", "C1", "2026", 4.0, False, 0)], standing)
    assert entries == []  # offline:1 is gone and stood for nothing: no -inf reversal, no nan total
    from moodle_bridge.rules.ledger import Difference

    assert accepted(1, Difference("2026", "C1", "offline:1", 0, 3.0), stored[:2])[0].hours == 3.0


def test_a_stored_exemption_out_of_the_window_is_clamped_not_a_crash():
    exemption, moved = in_window("C1", "long illness", date(1, 1, 1), date(9999, 12, 31), "full")
    assert moved and (exemption.start, exemption.end) == (EARLIEST, LATEST)
    from moodle_bridge.rules.sections import Organisation

    day_end(exemption.end, Organisation())  # 9999-12-31 + 1 day would overflow
    inside, moved = in_window("C1", "x", date(2026, 1, 1), date(2026, 6, 30), "prorate")
    assert not moved and (inside.start, inside.end) == (date(2026, 1, 1), date(2026, 6, 30))


def test_the_evaluation_reads_a_stored_exemption_out_of_the_window_with_a_warning(db_url, caplog):
    from moodle_bridge.rules.exemptions import ExemptionRow
    from moodle_bridge.services.evaluation import load_exemptions
    from moodle_bridge.store import connect, evaluation_io, upgrade

    engine = connect(db_url)
    upgrade(engine)
    with engine.begin() as connection:
        evaluation_io.add_exemptions(connection, [ExemptionRow("k", "C1", "excused", date(1, 1, 1),
                                                               date(9999, 12, 31), "full")], "review")
        with caplog.at_level(logging.WARNING):
            by_cadre, _hash = load_exemptions(connection)
    (exemption,) = by_cadre["C1"]
    assert (exemption.start, exemption.end) == (EARLIEST, LATEST)
    engine.dispose()

"""The promotion check's pure part: its rules section, the periods it reads, how a requirement stands, the candidates'
list."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from moodle_bridge.rules.loader import RulesError, parse_rules
from moodle_bridge.rules.offline import ImportError_
from moodle_bridge.rules.promotion import (
    Candidate,
    CheckedPeriod,
    Promotion,
    candidates_from_table,
    candidates_from_text,
    checked_periods,
    joined,
    names_match,
    overall,
    period_verdict,
    requirement_verdict,
)
from moodle_bridge.rules.sections import Organisation

SMALL = (Path(__file__).parent / "small_rules.yaml").read_text(encoding="utf-8")


def test_the_section_is_optional_and_defaults_to_the_last_period():
    assert parse_rules(SMALL).rules.promotion == Promotion(periods=1, include_current=False)
    found = parse_rules(SMALL + "\npromotion: {periods: 3, include_current: true}\n").rules.promotion
    assert (found.periods, found.include_current) == (3, True)


@pytest.mark.parametrize(("section", "problem"), [
    ("{periods: -1}", "promotion.periods: Input should be greater than or equal to 0"),
    ("{periods: 11}", "promotion.periods: Input should be less than or equal to 10"),
    ("{periods: 0}", "promotion: checks no period: give periods: 1 or more, or include_current: true"),
    ("{period: 2}", "promotion.period: unknown key"),
    ("{include_current: maybe}", "promotion.include_current: Input should be a valid boolean"),
])
def test_a_bad_value_is_one_line_with_its_place(section, problem):
    with pytest.raises(RulesError) as caught:
        parse_rules(SMALL + f"\npromotion: {section}\n", "rules.yaml")
    assert len(caught.value.problems) == 1
    line = caught.value.problems[0]
    assert line.startswith("rules.yaml:") and problem in line, line


def test_the_periods_checked_are_those_ended_before_today_then_todays():
    organisation = Organisation()
    assert checked_periods(Promotion(), organisation, date(2026, 12, 1)) == [
        CheckedPeriod("2025", False, date(2025, 12, 31))]
    assert checked_periods(Promotion(periods=2, include_current=True), organisation, date(2026, 1, 1)) == [
        CheckedPeriod("2024", False, date(2024, 12, 31)), CheckedPeriod("2025", False, date(2025, 12, 31)),
        CheckedPeriod("2026", True, date(2026, 12, 31))]
    assert checked_periods(Promotion(periods=0, include_current=True), organisation, date(2026, 5, 1)) == [
        CheckedPeriod("2026", True, date(2026, 12, 31))]
    school_year = Organisation(period_start="09-01")  # a period named by the year it starts in
    assert checked_periods(Promotion(), school_year, date(2026, 8, 31)) == [
        CheckedPeriod("2024", False, date(2025, 8, 31))]


ENDED = CheckedPeriod("2025", False, date(2025, 12, 31))
NOW = CheckedPeriod("2026", True, date(2026, 12, 31))


@pytest.mark.parametrize(("status", "deadline", "checked", "as_of", "late", "expected"), [
    # an ended period evaluated on its last day: hours still short are missed whatever the pace said
    ("on_track", date(2025, 12, 31), ENDED, date(2025, 12, 31), False, "missed"),
    ("at_risk", date(2025, 12, 31), ENDED, date(2025, 12, 31), False, "missed"),
    ("non_compliant", None, ENDED, date(2026, 1, 5), False, "missed"),
    # due after the period (a window, a make-up next period): not missed; at risk is to watch
    ("at_risk", date(2027, 12, 31), ENDED, date(2025, 12, 31), False, "watch"),
    ("on_track", date(2026, 6, 30), ENDED, date(2025, 12, 31), False, "met"),
    # done, only late: to watch, never missed
    ("at_risk", date(2025, 6, 30), ENDED, date(2025, 12, 31), True, "watch"),
    # the period ended after its latest evaluation: what was not met then cannot be told
    ("on_track", date(2025, 12, 31), ENDED, date(2025, 9, 30), False, "unknown"),
    ("non_compliant", date(2025, 6, 30), ENDED, date(2025, 9, 30), False, "unknown"),
    ("compliant", date(2025, 12, 31), ENDED, date(2025, 9, 30), False, "met"),
    # the period in progress: missed only what is already non-compliant
    ("non_compliant", date(2026, 6, 30), NOW, date(2026, 11, 1), False, "missed"),
    ("at_risk", date(2026, 12, 31), NOW, date(2026, 11, 1), False, "watch"),
    ("on_track", date(2026, 12, 31), NOW, date(2026, 11, 1), False, "met"),
    (None, None, ENDED, date(2025, 12, 31), False, "met"),
    ("not_applicable", None, ENDED, date(2025, 12, 31), False, "met"),
    ("exempt", None, ENDED, date(2025, 12, 31), False, "met"),
    ("suspended", None, ENDED, date(2025, 12, 31), False, "unknown"),
])
def test_how_a_requirement_stands_for_a_promotion(status, deadline, checked, as_of, late, expected):
    assert requirement_verdict(status, deadline, checked, as_of, late) == expected


def test_verdicts_combine_worst_first():
    assert period_verdict(["met", "watch"]) == "meets"
    assert period_verdict(["met", "unknown", "missed"]) == "does_not_meet"
    assert period_verdict(["unknown", "met"]) == "unknown"
    assert overall(["meets", "meets"]) == "meets"
    assert overall(["meets", "unknown"]) == "unknown"
    assert overall(["unknown", "does_not_meet"]) == "does_not_meet"
    assert overall([]) == "unknown"


def test_names_match_whatever_the_spaces_case_or_order():
    assert names_match("马 涛", "马涛") and names_match("MA Tao", "Tao Ma") and names_match("Ｔａｏ Ma", "tao ma")
    assert not names_match("马涛", "马韬") and not names_match("Tao Ma", "Tao Li")


def test_a_table_with_an_english_or_a_chinese_header():
    english = [(1, ["Cadre ID", "Name", "Post"]), (2, ["CD001", "Tao Ma", "deputy head"]), (3, [12345.0, None, ""])]
    assert candidates_from_table(english, "c.xlsx") == [Candidate("CD001", "Tao Ma", 2), Candidate("12345", None, 3)]
    chinese = [(1, ["序号", "干部编号", "姓名"]), (2, [1, "CD002", "马涛"]), (4, [2, "CD002", "马 涛"])]
    assert candidates_from_table(chinese, "c.csv") == [Candidate("CD002", "马涛", 2)]  # the same candidate again


def test_every_bad_line_is_named():
    table = [(1, ["干部编号", "姓名"]), (2, ["", "马涛"]), (3, ["CD1", "Li"]), (5, ["CD1", "Wang"]),
             (6, ["CD\x002", ""])]
    with pytest.raises(ImportError_) as caught:
        candidates_from_table(table, "c.csv")
    assert caught.value.problems == [
        "c.csv:2: no cadre id (name “马涛”)",
        "c.csv:5: cadre id CD1 is given again with another name (“Wang”; line 3: “Li”)",
        "c.csv:6: “CD\x002” is not a cadre id"]
    with pytest.raises(ImportError_) as caught:
        candidates_from_table([(1, ["name", "unit"]), (2, ["Li", "U1"])], "c.csv")
    assert caught.value.problems == ["c.csv:1: no column headed “cadre id” or “干部编号” (the first row names the "
                                     "columns)"]
    with pytest.raises(ImportError_) as caught:
        candidates_from_table([(1, ["cadre id"])], "c.csv")
    assert caught.value.problems == ["c.csv: no cadre id in it"]


def test_ids_typed_or_pasted():
    assert candidates_from_text("CD1, CD2；CD3\n\nCD4 CD1\nCD5\tMa Tao\n") == [
        Candidate("CD1", None, 1), Candidate("CD2", None, 1), Candidate("CD3", None, 1), Candidate("CD4", None, 3),
        Candidate("CD5", "Ma Tao", 4)]
    with pytest.raises(ImportError_) as caught:
        candidates_from_text(" \n")
    assert caught.value.problems == ["the list: no cadre id in it"]


def test_candidates_from_two_places_are_each_once():
    assert joined([Candidate("A"), Candidate("B")], [Candidate("B", "Li", 2), Candidate("C", None, 3)]) == [
        Candidate("A"), Candidate("B", "Li", 2), Candidate("C", None, 3)]

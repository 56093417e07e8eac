"""The registry of requirement kinds: every kind the rules file can name has a unit that evaluates it,
describes it, explains its flags, and round-trips its evidence through the stored JSON shape.

The checks of the registry derive from the registry: a new kind needs no edit here (its own tests go in its own
module). EXAMPLES and EVIDENCE pin today's kinds: their YAML, their stored JSON and their staff sentences."""

from __future__ import annotations

from typing import get_args

import pytest

from moodle_bridge.reports.plain import FLAG_KINDS, explain, flag_label
from moodle_bridge.rules.kinds import BY_FLAG, BY_NAME, UNITS, unit_for, unit_for_flag
from moodle_bridge.rules.kinds.base import Evidence, Kind, RequirementModel
from moodle_bridge.rules.kinds.makeup import MakeUpEvidence
from moodle_bridge.rules.kinds.min_hours import PeriodHoursEvidence
from moodle_bridge.rules.kinds.required_courses import CoursesEvidence, FailedAssessment, LateCompletion
from moodle_bridge.rules.kinds.window import WindowEvidence
from moodle_bridge.rules.loader import RulesError, parse_rules
from moodle_bridge.rules.model import Group

EXAMPLES = {
    "min_hours": {"kind": "min_hours", "hours": 90},
    "min_online_hours": {"kind": "min_online_hours", "hours": 40},
    "required_courses": {"kind": "required_courses", "courses": [{"idnumber": "C1"}], "due": "2026-06-30"},
    "required_reading": {"kind": "required_reading", "courses": [{"shortname": "R"}], "need": "any",
                         "due": "2026-06-30"},
    "window": {"kind": "window", "start_year": 2024, "years": 5, "hours": 550},
    "makeup": {"kind": "makeup", "after": "promotion", "within_months": 12, "hours": 30},
}
EVIDENCE = {
    "insufficient_hours": PeriodHoursEvidence(90.0, 12.5, "2026", 0.5),
    "insufficient_online_hours": PeriodHoursEvidence(40.0, 0.0, "2026"),
    "missing_required_course": CoursesEvidence("2026-06-30", ["A", "B"], ["B"], [2], "all"),
    "overdue_required_course": CoursesEvidence("2026-06-30", ["A"], ["A"], [1], "any"),
    "failed_assessment": CoursesEvidence("2026-06-30", ["A"], ["A"], [1], "all", [FailedAssessment("A", 40, 60.0)]),
    "required_reading_missing": CoursesEvidence("2026-06-30", ["R"], ["R"], [3], "any"),
    "window_shortfall": WindowEvidence(550.0, 100.0, "2024-2028"),
    "makeup_due": MakeUpEvidence("shortfall", 50.0, 0.0, "2027-07-01"),
    "completed_late": CoursesEvidence("2026-06-30", ["A"], [], [], "all", late=[LateCompletion("A", "2026-07-15")]),
}
FAKE_KIND = "no_such_kind_for_tests"  # obviously nobody's kind


def union_kinds() -> set[str]:
    """The kinds the rules model admits (its discriminated union of requirement models)."""
    union = get_args(Group.model_fields["requirements"].annotation)[0]
    members = get_args(get_args(union)[0])
    return {get_args(m.model_fields["kind"].annotation)[0] for m in members}


def test_every_kind_the_model_admits_has_a_registered_unit():
    assert union_kinds() == set(BY_NAME)
    assert set(EXAMPLES) <= set(BY_NAME)  # today's kinds are all still there
    assert [u.name for u in UNITS] == [u.name for u in sorted(UNITS, key=lambda u: (u.order, u.name))]


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_every_registered_unit_is_whole(name):
    unit = BY_NAME[name]
    assert isinstance(unit, Kind) and unit_for(name) is unit
    assert issubclass(unit.model, RequirementModel) and issubclass(unit.evidence, Evidence)
    # a flag kind two kinds raise (completed_late) is explained by the first, with one label and one evidence type
    assert unit.flags and all(unit_for_flag(flag).evidence is unit.evidence and unit_for_flag(flag).flags[flag] == label
                              and label for flag, label in unit.flags.items())
    assert unit.enrolling_flags <= set(unit.flags)


def test_completed_late_is_one_flag_kind_of_required_courses_and_reading():
    assert {u.name for u in UNITS if "completed_late" in u.flags} == {"required_courses", "required_reading"}
    assert unit_for_flag("completed_late") is unit_for("required_courses")
    assert flag_label("completed_late") == "completed late" and list(FLAG_KINDS).count("completed_late") == 1
    assert all("completed_late" not in u.enrolling_flags for u in UNITS)  # nothing to enrol in: it is done


def test_two_kinds_raising_one_flag_kind_must_agree_on_its_label_and_evidence():
    from moodle_bridge.rules.kinds import index_flags

    courses, window = unit_for("required_courses"), unit_for("window")

    class Relabelled(type(unit_for("required_reading"))):
        flags = {"completed_late": "done after the due date"}

    class OtherEvidence(type(window)):
        flags = {"completed_late": "completed late"}

    for stray in (Relabelled(), OtherEvidence()):
        with pytest.raises(TypeError, match="one label and one evidence type"):
            index_flags((courses, stray))


def test_an_unregistered_kind_fails_loudly():
    with pytest.raises(LookupError, match="no registered unit"):
        unit_for(FAKE_KIND)
    assert unit_for_flag("no_such_flag") is None


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_every_kind_parses_and_describes_itself(kind):
    yaml = ("groups:\n  g:\n    label: G\n    select: {rank: staff}\n    requirements:\n"
            f"      - {EXAMPLES[kind]}\n".replace("'", '"'))
    requirement = parse_rules(yaml).rules.groups["g"].requirements[0]
    assert requirement.kind == kind and type(requirement) is unit_for(kind).model
    assert unit_for(kind).describe(requirement)


def test_every_flag_kind_has_a_label_and_todays_a_sentence():
    assert set(BY_FLAG) == set(FLAG_KINDS)
    assert all(flag_label(flag) for flag in BY_FLAG)
    assert set(EVIDENCE) <= set(BY_FLAG)
    for flag, evidence in EVIDENCE.items():
        unit = unit_for_flag(flag)
        assert isinstance(evidence, unit.evidence)
        assert flag_label(flag) and explain(flag, evidence.to_json())


@pytest.mark.parametrize("flag", sorted(EVIDENCE))
def test_evidence_round_trips_through_its_stored_json(flag):
    evidence = EVIDENCE[flag]
    assert type(evidence).from_json(evidence.to_json()) == evidence


def test_the_stored_json_shapes_are_unchanged():
    # how far the period had gone is the evaluation's as-of day, no longer stored (the evidence holds day to day)
    assert EVIDENCE["insufficient_hours"].to_json() == {"required": 90.0, "achieved": 12.5, "period": "2026",
                                                        "pro_rated_share": 0.5}
    older = {"required": 90.0, "achieved": 12.5, "period": "2026", "elapsed_share": 0.9, "pro_rated_share": 0.5}
    assert PeriodHoursEvidence.from_json(older) == EVIDENCE["insufficient_hours"]  # an older version's evidence
    assert "pro_rated_share" not in EVIDENCE["insufficient_online_hours"].to_json()
    assert EVIDENCE["failed_assessment"].to_json() == {
        "due": "2026-06-30", "required": ["A"], "missing": ["A"], "missing_ids": [1], "need": "all",
        "failed": [{"course": "A", "grade": 40, "pass_grade": 60.0}]}
    assert "failed" not in EVIDENCE["missing_required_course"].to_json()
    assert EVIDENCE["window_shortfall"].to_json() == {"required": 550.0, "achieved": 100.0, "window": "2024-2028"}
    assert EVIDENCE["makeup_due"].to_json() == {"after": "shortfall", "required": 50.0, "achieved": 0.0,
                                                "due": "2027-07-01", "overdue": False}
    assert EVIDENCE["completed_late"].to_json() == {"due": "2026-06-30", "required": ["A"], "missing": [],
                                                    "missing_ids": [], "need": "all",
                                                    "late": [{"course": "A", "completed": "2026-07-15"}]}


def test_the_staff_sentences_are_the_ones_they_were():
    assert explain("insufficient_hours", {"required": 90, "achieved": 15, "period": "2026"}) == "15 of 90 hours in 2026"
    # the window's pace a year, where an older version said the hours expected by the as-of day (which moved daily)
    assert explain("window_shortfall", EVIDENCE["window_shortfall"].to_json()) == (
        "100 of 550 hours in 2024-2028 (110 hours a year keep pace)")
    assert explain("failed_assessment", EVIDENCE["failed_assessment"].to_json()) == (
        "not done: A; due 2026-06-30; A: grade 40 below 60")
    assert explain("makeup_due", EVIDENCE["makeup_due"].to_json()) == "make-up of 50 hours, 0 done, due 2027-07-01"
    assert explain("completed_late", EVIDENCE["completed_late"].to_json()) == (
        "A completed on 15 July 2026, due by 30 June 2026")
    assert explain("retired_kind", {"a": 1}) == "a: 1"  # a flag no unit raises: its evidence as it is


def test_the_enrolling_flags_and_their_courses_are_todays():
    assert {flag for u in UNITS for flag in u.enrolling_flags} >= {
        "missing_required_course", "overdue_required_course", "required_reading_missing"}
    assert "failed_assessment" not in unit_for("required_courses").enrolling_flags
    courses = unit_for("required_courses")
    assert courses.courses_to_enrol(EVIDENCE["missing_required_course"]) == [2]
    assert courses.courses_to_enrol(CoursesEvidence("d", ["A", "B"], ["A", "B"], [1, 2], "any")) == [1]
    assert courses.courses_to_enrol(CoursesEvidence("d", ["A", "B"], ["A", "B"], [1, 2], "all")) == [1, 2]


def test_an_unknown_kind_in_the_file_names_every_registered_kind():
    with pytest.raises(RulesError) as caught:
        parse_rules("groups:\n  g:\n    label: G\n    select: {rank: staff}\n    requirements:\n"
                    f"      - {{kind: {FAKE_KIND}, days: 3}}\n", "rules.yaml")
    assert caught.value.problems == [
        f"rules.yaml:6 groups.g.requirements[0]: '{FAKE_KIND}' is not a requirement kind "
        f"({', '.join(u.name for u in UNITS)})"]
    assert [u.name for u in UNITS if u.name in EXAMPLES] == [  # today's kinds keep their order
        "min_hours", "min_online_hours", "required_courses", "required_reading", "window", "makeup"]


def test_parsing_text_gives_the_digest_of_its_bytes():
    import hashlib

    text = ("groups:\n  g:\n    label: G\n    select: {rank: staff}\n    requirements:\n"
            "      - {kind: min_hours, hours: 1}\n")
    loaded = parse_rules(text.encode(), "x.yaml")
    assert loaded.digest == hashlib.sha256(text.encode()).hexdigest() and loaded.source == "x.yaml"
    assert parse_rules(text).rules == loaded.rules

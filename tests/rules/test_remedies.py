"""What would fix each flag: the remedy's data in the evidence (hours missing, due day, open courses that count),
its words in English and Chinese, and "completed late" for a required course or reading done after its due day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from moodle_bridge.i18n import set_language
from moodle_bridge.reports.plain import explain, remedy
from moodle_bridge.rules.credits import completion_credits
from moodle_bridge.rules.describe import describe
from moodle_bridge.rules.evaluate import Situation, evaluate_cadre
from moodle_bridge.rules.facts import CompletionFact, CourseFacts, OpenCourse
from moodle_bridge.rules.loader import parse_rules
from moodle_bridge.rules.periods import day_end, period
from moodle_bridge.services.rules_file import load_rules
from tests.rules.test_evaluate import CADRES, RULES, at

COURSES = {
    1: CourseFacts(1, "C-REQ", "REQ", "Required course", "CAT-PT", "Political Theory", 10.0),
    2: CourseFacts(2, "C-ONL", "ONL", "Online course", "CAT-PT", "Political Theory", 40.0),
    3: CourseFacts(3, "C-RR", "RR", "Reading: a book", "CAT-RR", "Required Reading", None),
    4: CourseFacts(4, "C-X", "X", "Elective", "CAT-ED", "Economic Development", None),  # 2 h by default
    5: CourseFacts(5, "C-LAW", "LAW", "Rule of law", "CAT-ED", "Economic Development", 8.0),
    6: CourseFacts(6, "C-ECO", "ECO", "Economy", "CAT-ED", "Economic Development", 6.0),
    7: CourseFacts(7, "C-HIS", "HIS", "Party history", "CAT-PT", "Political Theory", 3.0),
    8: CourseFacts(8, "C-NEXT", "NEXT", "Next year's course", "CAT-PT", "Political Theory", 12.0),
}
# Open on the evaluation day: every course but the reading; the last starts in January 2027.
OPEN = [OpenCourse(c, 0, None) for c in (1, 2, 4, 5, 6, 7)] + [OpenCourse(8, at(2027, 1, 5), None)]
NOBODY = replace(CADRES["A"], cadre_id="Z", user_id=90)  # a township cadre who has done nothing


@pytest.fixture
def chinese():
    set_language("zh_CN")
    yield
    set_language(None)


def situation(day: date, rules=RULES, label: str = "2026", open_courses=OPEN) -> Situation:
    return Situation(rules, period(label, rules.organisation), day_end(day, rules.organisation), COURSES, open_courses)


def judge(cadre, done: list[tuple[int, int, float | None]], day: date, rules=RULES, **options):
    completions = [CompletionFact(cadre.user_id, course, when, grade) for course, when, grade in done]
    credits, refused = completion_credits(cadre.cadre_id, completions, COURSES, rules)
    result = evaluate_cadre(cadre, credits, {c.course_id: c for c in completions}, refused,
                            situation(day, rules, **options))
    return {f.kind: f.evidence for f in result.flags}, result.status


def names(evidence) -> list[tuple[str, float]]:
    return [(c["name"], c["hours"]) for c in evidence.get("open_courses", [])]


# --- the data: what the evaluation puts in the evidence ------------------------------------------------------------


def test_the_courses_named_are_as_many_as_cover_the_missing_hours():
    flags, _ = judge(NOBODY, [(2, at(2026, 3, 1), 95), (4, at(2026, 3, 2), 70), (7, at(2026, 3, 3), 70)],
                     date(2026, 12, 15))  # 60 + 2 + 3 of 90 h: 25 missing
    assert names(flags["insufficient_hours"]) == [("Required course", 10.0), ("Rule of law", 8.0), ("Economy", 6.0)]


def test_missing_hours_name_the_period_end_and_the_open_courses_with_most_hours_first():
    flags, _ = judge(NOBODY, [], date(2026, 10, 1))  # 0 of 90 h with three quarters gone: at risk
    hours = flags["insufficient_hours"]
    assert hours["due"] == "2026-12-31" and "overdue" not in hours
    # at most five; the course starting after the period's end does not count toward it
    assert names(hours) == [("Online course", 40.0), ("Required course", 10.0), ("Rule of law", 8.0),
                            ("Economy", 6.0), ("Party history", 3.0)]
    # every Moodle course earns online hours; 50 online hours missing: two courses cover them
    assert names(flags["insufficient_online_hours"]) == [("Online course", 40.0), ("Required course", 10.0)]


def test_courses_the_cadre_completed_are_not_suggested_and_the_cap_per_item_applies():
    capped = RULES.model_copy(update={"credits": RULES.credits.model_copy(update={"cap_per_item": 20.0})})
    flags, _ = judge(NOBODY, [(1, at(2026, 3, 1), 80)], date(2026, 10, 1), capped)
    assert names(flags["insufficient_hours"]) == [("Online course", 20.0), ("Rule of law", 8.0), ("Economy", 6.0),
                                                  ("Party history", 3.0), ("Elective", 2.0)]


def test_no_course_is_suggested_once_the_online_cap_is_reached():
    capped = RULES.model_copy(update={"credits": RULES.credits.model_copy(update={"cap_online_per_period": 40.0})})
    flags, _ = judge(NOBODY, [(2, at(2026, 3, 1), 80)], date(2026, 10, 1), capped)
    assert flags["insufficient_hours"]["required"] == 90 and "open_courses" not in flags["insufficient_hours"]


def test_after_the_period_the_hours_are_overdue_and_no_course_is_suggested():
    flags, status = judge(NOBODY, [], date(2027, 1, 1))
    assert status == "non_compliant"
    assert flags["insufficient_hours"]["overdue"] is True and "open_courses" not in flags["insufficient_hours"]


def test_without_the_open_courses_loaded_nothing_is_claimed_about_them():
    flags, _ = judge(NOBODY, [], date(2026, 12, 15), open_courses=None)
    assert "open_courses" not in flags["insufficient_hours"]
    assert "not_open" not in flags["required_reading_missing"]


def test_a_window_is_due_at_its_end_and_counts_courses_starting_before_it():
    leader = CADRES["C"]  # the 2023-2027 window
    flags, status = judge(leader, [(2, at(2026, 2, 1), 92), (1, at(2025, 5, 1), 70)], date(2026, 12, 31))
    window = flags["window_shortfall"]
    assert status == "at_risk" and window["due"] == "2027-12-31"
    assert names(window) == [("Next year's course", 12.0), ("Rule of law", 8.0), ("Economy", 6.0),
                             ("Party history", 3.0), ("Elective", 2.0)]


def test_a_make_up_names_open_courses_until_its_deadline_then_is_overdue():
    rules = load_rules(Path(__file__).with_name("makeup_rules.yaml")).rules
    promoted = replace(NOBODY, promoted=date(2026, 2, 10))
    soon, _ = judge(promoted, [], date(2027, 1, 20), rules, label="2027")
    # 30 h owed: the 40-hour course alone covers them, so it alone is named
    assert soon["makeup_due"]["due"] == "2027-02-10" and names(soon["makeup_due"]) == [("Online course", 40.0)]
    late, status = judge(promoted, [], date(2027, 3, 1), rules, label="2027")
    assert status == "non_compliant" and late["makeup_due"]["overdue"] is True
    assert "open_courses" not in late["makeup_due"]


def test_a_missing_required_course_not_open_in_moodle_is_named():
    open_but_required = [o for o in OPEN if o.course_id != 1]
    flags, _ = judge(NOBODY, [], date(2026, 6, 15), open_courses=open_but_required)
    assert flags["missing_required_course"]["not_open"] == ["Required course"]
    flags, _ = judge(NOBODY, [], date(2026, 6, 15))
    assert "not_open" not in flags["missing_required_course"]
    flags, _ = judge(NOBODY, [], date(2026, 12, 15))
    assert flags["required_reading_missing"]["not_open"] == ["Reading: a book"]  # the reading is not open


def test_a_required_course_worth_no_hours_that_is_open_is_not_called_closed():
    free = {**COURSES, 1: replace(COURSES[1], hours=0.0)}  # a required course that earns nothing, open all year
    flags = {f.kind: f.evidence for f in evaluate_cadre(
        NOBODY, [], {}, [], Situation(RULES, period("2026", RULES.organisation),
                                      day_end(date(2026, 6, 15), RULES.organisation), free, OPEN)).flags}
    assert flags["missing_required_course"]["missing"] == ["Required course"]
    assert "not_open" not in flags["missing_required_course"]


# --- completed late ------------------------------------------------------------------------------------------------


def test_a_required_course_done_after_its_due_day_is_completed_late_with_both_dates():
    flags, status = judge(NOBODY, [(1, at(2026, 7, 15), 80)], date(2026, 8, 1))
    assert status == "at_risk"  # flagged, not non-compliant: what was missing is done
    assert flags["completed_late"] == {"due": "2026-06-30", "required": ["Required course"], "missing": [],
                                       "missing_ids": [], "need": "all",
                                       "late": [{"course": "Required course", "completed": "2026-07-15"}]}
    assert "overdue_required_course" not in flags and "missing_required_course" not in flags


def test_done_by_the_last_second_of_the_due_day_is_on_time():
    flags, _ = judge(NOBODY, [(1, at(2026, 6, 30, 23, 59, 59), 80)], date(2026, 8, 1))
    assert "completed_late" not in flags
    flags, _ = judge(NOBODY, [(1, at(2026, 7, 1, 0, 0, 0), 80)], date(2026, 8, 1))
    assert flags["completed_late"]["late"] == [{"course": "Required course", "completed": "2026-07-01"}]


def test_a_late_completion_that_failed_its_assessment_is_not_done():
    flags, _ = judge(NOBODY, [(1, at(2026, 7, 15), 40)], date(2026, 8, 1))
    assert "completed_late" not in flags and "failed_assessment" in flags


LATE_RULES = """
groups:
  g:
    label: G
    select: {{rank: staff}}
    requirements:
      - {{kind: required_courses, courses: [{{idnumber: C-REQ}}, {{idnumber: C-LAW}}], due: "2026-06-30"{late}}}
      - {{kind: required_reading, courses: [{{idnumber: C-RR}}, {{idnumber: C-X}}], need: any, due: "2026-06-30"{late}}}
"""


def test_only_the_courses_done_late_are_named_and_reading_is_completed_late_too():
    rules = parse_rules(LATE_RULES.format(late="")).rules
    done = [(1, at(2026, 5, 1), 80), (5, at(2026, 7, 2), 80), (4, at(2026, 9, 1), None)]
    result_flags = evaluate_cadre(NOBODY, completion_credits("Z", [CompletionFact(90, c, t, g) for c, t, g in done],
                                                             COURSES, rules)[0],
                                  {c: CompletionFact(90, c, t, g) for c, t, g in done}, [],
                                  situation(date(2026, 10, 1), rules)).flags
    late = [(f.rule, f.evidence["late"]) for f in result_flags if f.kind == "completed_late"]
    assert late == [("groups.g.requirements[0]", [{"course": "Rule of law", "completed": "2026-07-02"}]),
                    ("groups.g.requirements[1]", [{"course": "Elective", "completed": "2026-09-01"}])]


def test_late_accept_takes_a_late_completion_as_met():
    rules = parse_rules(LATE_RULES.format(late=", late: accept")).rules
    flags, status = judge(NOBODY, [(1, at(2026, 5, 1), 80), (5, at(2026, 7, 2), 80), (4, at(2026, 9, 1), None)],
                          date(2026, 10, 1), rules)
    assert flags == {} and status == "compliant"


def test_rules_check_says_what_a_late_completion_does():
    flagged = "\n".join(describe(parse_rules(LATE_RULES.format(late="")).rules))
    accepted = "\n".join(describe(parse_rules(LATE_RULES.format(late=", late: accept")).rules))
    assert flagged.count("completed late: flagged") == 2 and accepted.count("completed late: accepted as met") == 2


def test_an_unknown_late_setting_is_refused():
    from moodle_bridge.rules.loader import RulesError

    with pytest.raises(RulesError, match="late"):
        parse_rules(LATE_RULES.format(late=", late: ignore"))


# --- the words ----------------------------------------------------------------------------------------------------

HOURS = {"required": 90.0, "achieved": 70.0, "period": "2026", "elapsed_share": 0.9, "due": "2026-12-31",
         "open_courses": [{"id": 5, "name": "Rule of law", "hours": 8.0}, {"id": 6, "name": "Economy", "hours": 6.0}]}
COURSE_LIST = {"due": "2026-06-30", "required": ["A", "B"], "missing": ["A", "B"], "missing_ids": [1, 2],
               "need": "all"}
WORDS = [  # flag, evidence, English, Chinese
    ("insufficient_hours", HOURS,
     "20 more hours by 31 December 2026; open courses that count: “Rule of law” (8 hours), “Economy” (6 hours)",
     "还差 20 学时，2026 年 12 月 31 日前完成；可选课程：《Rule of law》（8 学时）、《Economy》（6 学时）"),
    ("insufficient_hours", {**HOURS, "overdue": True, "open_courses": []},
     "20 hours short; the deadline was 31 December 2026", "还差 20 学时，期限（2026 年 12 月 31 日）已过"),
    ("insufficient_online_hours", {**HOURS, "open_courses": []},
     "20 more online hours by 31 December 2026", "还差 20 网络学习学时，2026 年 12 月 31 日前完成"),
    ("window_shortfall", {"required": 550.0, "achieved": 412.5, "window": "2023-2027", "expected_by_now": 440.1,
                          "due": "2027-12-31"},
     "137.5 more hours by 31 December 2027", "还差 137.5 学时，2027 年 12 月 31 日前完成"),
    ("makeup_due", {"after": "promotion", "required": 30.0, "achieved": 10.0, "due": "2027-02-10", "overdue": False,
                    "open_courses": [{"id": 2, "name": "Online course", "hours": 40.0}]},
     "20 more hours by 10 February 2027; open courses that count: “Online course” (40 hours)",
     "还差 20 学时，2027 年 2 月 10 日前完成；可选课程：《Online course》（40 学时）"),
    ("missing_required_course", {**COURSE_LIST, "not_open": ["B"]},
     "complete “A”, “B” by 30 June 2026; “B”: not open in Moodle now, ask the Moodle administrator",
     "2026 年 6 月 30 日前完成《A》、《B》；《B》目前未在 Moodle 开放，请联系 Moodle 管理员"),
    ("overdue_required_course", {**COURSE_LIST, "overdue": True},
     "complete “A”, “B” now; the deadline was 30 June 2026", "尽快完成《A》、《B》（原定 2026 年 6 月 30 日前完成）"),
    ("required_reading_missing", {**COURSE_LIST, "need": "any"},
     "complete one of “A”, “B” by 30 June 2026", "2026 年 6 月 30 日前完成《A》、《B》中的一门"),
    ("failed_assessment", {**COURSE_LIST, "failed": [{"course": "A", "grade": 40, "pass_grade": 60}]},
     "complete “B” by 30 June 2026; pass “A” (a grade of 60 or more) by 30 June 2026",
     "2026 年 6 月 30 日前完成《B》；2026 年 6 月 30 日前通过《A》考核（成绩不低于 60 分）"),
    ("completed_late", {**COURSE_LIST, "missing": [], "missing_ids": [],
                        "late": [{"course": "A", "completed": "2026-07-15"}]},
     "nothing left to complete; explain the delay to the organisation department",
     "已完成，无需补学；请向组织部说明逾期原因"),
]


@pytest.mark.parametrize(("flag", "evidence", "english", "chinese_words"), WORDS, ids=[w[0] for w in WORDS])
def test_every_flag_kind_says_what_would_fix_it(flag, evidence, english, chinese_words):
    assert remedy(flag, evidence) == english
    set_language("zh_CN")
    try:
        assert remedy(flag, evidence) == chinese_words
    finally:
        set_language(None)


def test_every_flag_kind_has_its_remedy_words_here():
    from moodle_bridge.reports.plain import FLAG_KINDS

    assert {w[0] for w in WORDS} == set(FLAG_KINDS)


def test_completed_late_explains_both_dates(chinese):
    evidence = WORDS[-1][1]
    assert explain("completed_late", evidence) == "《A》于 2026 年 7 月 15 日完成（应于 2026 年 6 月 30 日前完成）"


# --- evidence an older version stored: no due day, no open courses, no "overdue" --------------------------------

OLD = [  # flag, stored evidence, its explanation, its remedy
    ("insufficient_hours", {"required": 90, "achieved": 15, "period": "2026"}, "15 of 90 hours in 2026",
     "75 more hours"),
    ("insufficient_online_hours", {"required": 50, "achieved": 50, "period": "2026"}, "50 of 50 hours in 2026", None),
    ("window_shortfall", {"required": 550, "achieved": 100, "window": "2024-2028", "expected_by_now": 330},
     "100 of 550 hours in 2024-2028 (110 hours a year keep pace)", "450 more hours"),
    ("makeup_due", {"after": "shortfall", "required": 50, "achieved": 0, "due": "2027-07-01"},
     "make-up of 50 hours, 0 done, due 2027-07-01", "50 more hours"),  # its day may be past: not named as ahead
    ("overdue_required_course", {"due": "2026-06-30", "required": ["A"], "missing": ["A"], "missing_ids": [1],
                                 "need": "all"},
     "not done: A; due 2026-06-30", "complete “A” now; the deadline was 30 June 2026"),
    ("required_reading_missing", {"required": ["R"], "missing": ["R"]}, "not done: R; due None", "complete “R”"),
    ("retired_kind", {"a": 1}, "a: 1", None),
]


@pytest.mark.parametrize(("flag", "stored", "sentence", "fix"), OLD, ids=[o[0] for o in OLD])
def test_evidence_an_older_version_stored_still_explains_and_remedies(flag, stored, sentence, fix):
    assert explain(flag, stored) == sentence
    assert remedy(flag, stored) == fix

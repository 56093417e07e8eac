"""Evaluation on a small fixed data set; every expected number was worked out by hand.

Courses: C-REQ (10 h, the required course), C-ONL (40 h), a reading book in CAT-RR (no hours
field: 4 h by rule), C-X (no hours, no rule: the default 2 h). Bonus x1.5 from grade 90; a grade
under 60 earns nothing. Offline: 7.5 h a day; leave above 1/7 of an item's hours voids it.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from moodle_bridge.reports.plain import explain
from moodle_bridge.rules.credits import cap_online, completion_credits, offline_credits
from moodle_bridge.rules.evaluate import Situation, evaluate_cadre, unit_rates
from moodle_bridge.rules.facts import CadreFacts, CompletionFact, CourseFacts, OfflineFact
from moodle_bridge.rules.periods import day_end, period, period_of
from moodle_bridge.services.rules_file import load_rules

RULES = load_rules(Path(__file__).with_name("small_rules.yaml")).rules
TZ = ZoneInfo("Asia/Shanghai")
COURSES = {
    1: CourseFacts(1, "C-REQ", "REQ", "Required course", "CAT-PT", "Political Theory", 10.0),
    2: CourseFacts(2, "C-ONL", "ONL", "Online course", "CAT-PT", "Political Theory", 40.0),
    3: CourseFacts(3, "C-RR", "RR", "Reading: a book", "CAT-RR", "Required Reading", None),
    4: CourseFacts(4, "C-X", "X", "Elective", "CAT-ED", "Economic Development", None),
}


def at(y, m, d, hh=10, mm=0, ss=0) -> int:
    return int(datetime(y, m, d, hh, mm, ss, tzinfo=TZ).timestamp())


def cadre(cid, rank, unit, **extra) -> CadreFacts:
    return CadreFacts(user_id=ord(cid), cadre_id=cid, name=f"Cadre {cid}", unit_code=unit, unit_name=unit,
                      rank=rank, category="civil_servant", **extra)


CADRES = {
    "A": cadre("A", "staff", "UNIT-1"),
    "B": cadre("B", "staff", "UNIT-1", joined=date(2026, 7, 1)),
    "C": cadre("C", "county_leader", "UNIT-2"),
    "D": cadre("D", "staff", "UNIT-2"),
    "E": cadre("E", "staff", "UNIT-2"),
    "F": cadre("F", "staff", "UNIT-2", suspended=True),
    "G": cadre("G", "section_chief", "UNIT-2"),
}
COMPLETIONS = {
    "A": [(1, at(2026, 3, 1), 80), (2, at(2026, 4, 1), 95), (3, at(2026, 5, 1), None)],
    "B": [(2, at(2026, 8, 1), 50), (4, at(2026, 9, 1), None)],
    "C": [(2, at(2024, 5, 1), 70), (1, at(2025, 5, 1), 70), (2, at(2026, 2, 1), 92)],
    "E": [(1, at(2026, 7, 15), 75)],
    "G": [(2, at(2026, 3, 1), 85), (1, at(2026, 2, 1), 61), (3, at(2026, 4, 1), None)],
}
OFFLINE = {
    "A": [("a1", date(2026, 5, 10), 2, None, 2.0)],  # 15 h, leave 2 h <= 15/7 = 2.14: counts
    "E": [("e1", date(2026, 9, 10), 7, None, 8.0),  # 52.5 h, leave 8 h > 52.5/7 = 7.5: voided
          ("e2", date(2026, 10, 10), 6, None, 0.0)],  # 45 h
    "G": [("g1", date(2026, 6, 1), 6, None, 0.0)],  # 45 h
}


def run(cid: str, as_of: date, label: str = "2026"):
    facts = CADRES[cid]
    done = [CompletionFact(facts.user_id, course, time, grade) for course, time, grade in COMPLETIONS.get(cid, [])]
    online, refused = completion_credits(cid, done, COURSES, RULES)
    offline, refused_offline = offline_credits(
        [OfflineFact(f"offline:{key}", cid, "Training", end, days, hours, leave)
         for key, end, days, hours, leave in OFFLINE.get(cid, [])], RULES)
    credits = cap_online(online + offline, RULES)
    situation = Situation(RULES, period(label, RULES.organisation), day_end(as_of, RULES.organisation), COURSES)
    exemptions = [e for e in RULES.exemptions if e.cadre_id == cid]
    return evaluate_cadre(facts, credits, {c.course_id: c for c in done}, refused + refused_offline, situation,
                          exemptions)


def summary(result):
    return (result.status, result.hours_online, result.hours_offline,
            sorted((f.kind, f.evidence.get("required"), f.evidence.get("achieved")) for f in result.flags))


END = date(2027, 1, 1)  # the day after the period: final results


def test_a_misses_the_total_by_one_hour_at_year_end():
    # online: 10 (C-REQ, 80) + 40 x 1.5 (C-ONL, 95: bonus) + 4 (reading, by rule) = 74; offline 2 days = 15
    assert summary(run("A", END)) == ("non_compliant", 74.0, 15.0, [("insufficient_hours", 90.0, 89.0)])


def test_a_is_on_track_at_mid_year():
    result = run("A", date(2026, 7, 1))  # 182 of 365 days gone: 89 of 90 h is ahead of pace
    assert summary(result) == ("on_track", 74.0, 15.0, [])


def test_b_joined_on_1_july_is_pro_rated_and_failed_grades_earn_nothing():
    # 184 of 365 days left: 90 x 184/365 = 45.37 h, online 50 x 184/365 = 25.21 h. C-ONL graded 50: nothing.
    # C-REQ was due before B joined: not required of B.
    result = run("B", END)
    assert summary(result) == ("non_compliant", 2.0, 0.0, [
        ("insufficient_hours", 45.37, 2.0), ("insufficient_online_hours", 25.21, 2.0),
        ("required_reading_missing", ["Reading: a book"], None)])
    assert next(f for f in result.flags if f.kind == "insufficient_hours").evidence["pro_rated_share"] == 0.504


def test_c_leader_behind_the_five_year_window():
    # 40 (2024) + 10 (2025) + 60 (2026, 92: bonus) = 110 of 550; 1461 of 1826 window days gone: 440.1 expected, and
    # at risk until the window ends (the evidence does not change with the day: 110 a year keep pace)
    result = run("C", date(2026, 12, 31))
    assert summary(result) == ("at_risk", 60.0, 0.0, [("window_shortfall", 550, 110.0)])
    assert "expected_by_now" not in result.flags[0].evidence
    assert explain("window_shortfall", result.flags[0].evidence) == (
        "110 of 550 hours in 2023-2027 (110 hours a year keep pace)")


def test_d_fully_exempt_and_f_suspended_are_not_flagged():
    assert summary(run("D", END)) == ("exempt", 0.0, 0.0, [])
    assert summary(run("F", END)) == ("suspended", 0.0, 0.0, [])


def test_e_half_exempt_with_voided_leave_and_a_late_required_course():
    # exempt 1 Jan - 30 Jun (181 days): 184/365 of 90 = 45.37; offline e1 voided by leave, e2 = 45;
    # C-REQ (due 30 June) done on 15 July: late, but done (its 10 hours count), short of 25.21 online
    result = run("E", END)
    assert summary(result) == ("non_compliant", 10.0, 45.0, [
        ("completed_late", ["Required course"], None), ("insufficient_online_hours", 25.21, 10.0),
        ("required_reading_missing", ["Reading: a book"], None)])
    late = next(f for f in result.flags if f.kind == "completed_late")
    assert (late.evidence["due"], late.evidence["late"]) == (
        "2026-06-30", [{"course": "Required course", "completed": "2026-07-15"}])


def test_g_meets_everything():
    assert summary(run("G", END)) == ("compliant", 54.0, 45.0, [])


def test_unit_completion_rate_is_compliant_over_cadres_less_exempt():
    results = [run(cid, END) for cid in CADRES]
    rates = unit_rates(results)
    assert rates["UNIT-1"]["completion_rate"] == 0.0 and rates["UNIT-1"]["cadres"] == 2
    # UNIT-2: C, D, E, G counted (F suspended is apart); D exempt: G alone of 3 -> 33.3%
    assert (rates["UNIT-2"]["cadres"], rates["UNIT-2"]["exempt"], rates["UNIT-2"]["compliant"]) == (4, 1, 1)
    assert rates["UNIT-2"]["completion_rate"] == 0.333  # 1 of 3, published to a tenth of a percent


# --- boundaries ---------------------------------------------------------------------------------


def test_a_completion_at_235959_on_31_december_counts_in_that_year():
    organisation = RULES.organisation
    assert period_of(at(2026, 12, 31, 23, 59, 59), organisation).label == "2026"
    assert period_of(at(2027, 1, 1, 0, 0, 0), organisation).label == "2027"


def test_a_due_date_today_is_due_not_overdue():
    situation_day = date(2026, 6, 30)
    facts = CADRES["B"].__class__(**{**CADRES["A"].__dict__, "cadre_id": "Z"})
    today = evaluate_cadre(facts, [], {}, [], Situation(RULES, period("2026", RULES.organisation),
                                                            day_end(situation_day, RULES.organisation), COURSES))
    tomorrow = evaluate_cadre(facts, [], {}, [], Situation(RULES, period("2026", RULES.organisation),
                                                               day_end(date(2026, 7, 1), RULES.organisation), COURSES))
    assert "missing_required_course" in [f.kind for f in today.flags]
    assert "overdue_required_course" in [f.kind for f in tomorrow.flags]


def test_failed_required_course_is_a_failed_assessment():
    facts = CADRES["A"]
    done = [CompletionFact(facts.user_id, 1, at(2026, 3, 1), 40)]
    credits, refused = completion_credits("A", done, COURSES, RULES)
    assert credits == [] and refused[0].reason == "failed assessment"
    situation = Situation(RULES, period("2026", RULES.organisation), day_end(date(2026, 7, 2), RULES.organisation),
                          COURSES)
    result = evaluate_cadre(facts, credits, {1: done[0]}, refused, situation)
    flag = next(f for f in result.flags if f.kind == "failed_assessment")
    assert flag.evidence["failed"] == [{"course": "Required course", "grade": 40, "pass_grade": 60.0}]


@pytest.mark.parametrize("label", ["2026", "2027"])
def test_the_same_course_twice_in_one_period_counts_once(label):
    year = int(label)
    done = [CompletionFact(1, 2, at(year, 2, 1), 70), CompletionFact(1, 2, at(year, 9, 1), 70)]
    credits, refused = completion_credits("A", done, COURSES, RULES)
    assert [c.hours for c in credits] == [40.0] and refused[0].reason == "counted once a period"


def test_make_up_after_a_promotion_is_due_within_the_months_given():
    from moodle_bridge.rules.evaluate import Situation, evaluate_cadre
    from moodle_bridge.services.rules_file import load_rules

    rules = load_rules(Path(__file__).with_name("makeup_rules.yaml")).rules
    promoted = CADRES["A"].__class__(**{**CADRES["A"].__dict__, "promoted": date(2026, 2, 10)})
    # 30 h owed by 2027-02-10; 10 h earned in March (course C-REQ): 20 short, due in more than 30 days
    credits, _ = completion_credits("A", [CompletionFact(promoted.user_id, 1, at(2026, 3, 1), 80)], COURSES, rules)

    def evaluate_on(day):
        return evaluate_cadre(promoted, credits, {}, [], Situation(rules, period("2026", rules.organisation),
                                                                     day_end(day, rules.organisation), COURSES))

    assert "makeup_due" not in [f.kind for f in evaluate_on(date(2026, 11, 1)).flags]
    soon = evaluate_on(date(2026, 12, 31))  # 2027-02-10 is 41 days away: not yet "due soon"...
    assert "makeup_due" not in [f.kind for f in soon.flags]
    later = evaluate_cadre(promoted, credits, {}, [], Situation(
        rules, period("2027", rules.organisation), day_end(date(2027, 1, 20), rules.organisation), COURSES))
    flag = next(f for f in later.flags if f.kind == "makeup_due")  # ...but on 20 January 2027 it is
    assert (later.status, flag.evidence) == ("at_risk", {"after": "promotion", "required": 30, "achieved": 10.0,
                                                         "due": "2027-02-10", "overdue": False})


def test_make_up_after_a_shortfall_owes_the_missing_hours():
    from moodle_bridge.rules.evaluate import Situation, evaluate_cadre, hours_shortfall
    from moodle_bridge.services.rules_file import load_rules

    rules = load_rules(Path(__file__).with_name("makeup_rules.yaml")).rules
    facts = CADRES["A"]
    credits, _ = completion_credits("A", [CompletionFact(facts.user_id, 2, at(2026, 3, 1), 80)], COURSES, rules)
    short = hours_shortfall(facts, credits, rules, period("2026", rules.organisation))
    assert short == 50.0  # 90 required, 40 earned in 2026
    over = evaluate_cadre(facts, credits, {}, [], Situation(rules, period("2027", rules.organisation),
                                                              day_end(date(2027, 7, 2), rules.organisation), COURSES),
                          previous_shortfall=short)
    flag = next(f for f in over.flags if f.kind == "makeup_due")
    assert flag.evidence == {"after": "shortfall", "required": 50.0, "achieved": 0.0, "due": "2027-07-01",
                             "overdue": True}
    assert over.status == "non_compliant"  # six months after the period ended, still owed
    on_the_day = evaluate_cadre(facts, credits, {}, [], Situation(rules, period("2027", rules.organisation),
                                                                    day_end(date(2027, 7, 1), rules.organisation),
                                                                    COURSES), previous_shortfall=short)
    assert on_the_day.status == "at_risk"  # due today: not yet overdue


def test_carry_over_of_surplus_hours_into_the_next_period():
    from moodle_bridge.rules.evaluate import carry_over
    from moodle_bridge.rules.model import Rules

    rules = Rules.model_validate({**RULES.model_dump(by_alias=True), "credits": {
        **RULES.credits.model_dump(), "carry_over": {"enabled": True, "max_hours": 20}}})
    facts = CADRES["G"]
    done = [CompletionFact(facts.user_id, 2, at(2026, 3, 1), 85), CompletionFact(facts.user_id, 1, at(2026, 4, 1), 70),
            CompletionFact(facts.user_id, 4, at(2026, 5, 1), 70)]
    credits, _ = completion_credits("G", done, COURSES, rules)
    offline, _ = offline_credits([OfflineFact("offline:x", "G", "Course", date(2026, 6, 1), 10, None)], rules)
    # 40 + 10 + 2 online, 75 offline = 127 h in 2026; 90 owed: 37 surplus, carried up to 20
    carried = carry_over(facts, credits + offline, rules, period("2026", rules.organisation),
                         period("2027", rules.organisation))
    assert (carried.source, carried.period, carried.hours) == ("carryover:2026", "2027", 20.0)


def test_a_kind_sees_the_cadres_facts_offline_days_included(monkeypatch):
    """A kind judging something hours do not say (e.g. days of offline training) finds the facts on its context."""
    import moodle_bridge.rules.evaluate as evaluation
    from moodle_bridge.rules.kinds.base import Outcome

    seen = []

    class Spy:
        def evaluate(self, requirement, context, situation):
            seen.append(context)
            return Outcome("compliant")

    facts = cadre("A", "staff", "U1")
    away = [OfflineFact("offline:1", "A", "Party school", date(2026, 3, 10), 3.0, None)]
    done = {1: CompletionFact(facts.user_id, 1, at(2026, 2, 1))}
    monkeypatch.setattr(evaluation, "unit_for", lambda kind: Spy())
    evaluate_cadre(facts, [], done, [], Situation(RULES, period("2026", RULES.organisation),
                                                    day_end(date(2026, 6, 1), RULES.organisation), COURSES),
                   offline=away)
    assert seen and all(c.offline == away and c.offline[0].days == 3.0 and c.completions == done for c in seen)

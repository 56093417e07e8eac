"""Properties of the pure evaluation (hypothesis)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from moodle_bridge.rules.credits import cap_online, completion_credits
from moodle_bridge.rules.evaluate import _SEVERITY, Situation, evaluate_cadre
from moodle_bridge.rules.facts import CompletionFact
from moodle_bridge.rules.periods import day_end, period
from tests.rules.test_evaluate import CADRES, COURSES, RULES, at

SHORTFALLS = {"insufficient_hours", "insufficient_online_hours", "window_shortfall", "missing_required_course",
              "overdue_required_course", "required_reading_missing", "makeup_due"}

completions = st.lists(st.tuples(st.sampled_from(sorted(COURSES)), st.integers(1, 12), st.integers(1, 28),
                                 st.one_of(st.none(), st.integers(0, 100))), max_size=6)
as_of_days = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 1, 2))


def evaluate(cid, items, as_of):
    facts = CADRES[cid]
    done = [CompletionFact(facts.user_id, c, at(2026, m, d), g) for c, m, d, g in items]
    credits, refused = completion_credits(cid, done, COURSES, RULES)
    situation = Situation(RULES, period("2026", RULES.organisation), day_end(as_of, RULES.organisation), COURSES)
    latest = {}
    for c in sorted(done, key=lambda c: c.time_completed):
        latest[c.course_id] = c
    return evaluate_cadre(facts, cap_online(credits, RULES), latest, refused, situation)


def hours_short(result) -> float:
    return sum(f.evidence["required"] - f.evidence["achieved"] for f in result.flags
               if f.kind in ("insufficient_hours", "insufficient_online_hours", "window_shortfall"))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["A", "C", "G"]), completions, st.tuples(st.sampled_from([2, 4]), st.integers(1, 12),
                                                                   st.integers(1, 28)), as_of_days)
def test_adding_a_passed_completion_never_raises_a_shortfall(cid, items, extra, as_of):
    course, month, day = extra
    if any(c == course for c, *_ in items):
        return  # a second completion of the same course changes which one counts: not "adding"
    before = evaluate(cid, items, as_of)
    after = evaluate(cid, items + [(course, month, day, 75)], as_of)
    assert _SEVERITY.get(after.status, 0) <= _SEVERITY.get(before.status, 0)
    assert hours_short(after) <= hours_short(before) + 1e-9
    assert {f.kind for f in after.flags} & SHORTFALLS <= {f.kind for f in before.flags} & SHORTFALLS


@given(st.sampled_from(sorted(CADRES)), completions, as_of_days)
def test_evaluating_twice_gives_the_same_result(cid, items, as_of):
    first, second = evaluate(cid, items, as_of), evaluate(cid, items, as_of)
    assert (first.status, first.hours_online, first.hours_offline, [(f.kind, f.evidence) for f in first.flags]) == (
        second.status, second.hours_online, second.hours_offline, [(f.kind, f.evidence) for f in second.flags])

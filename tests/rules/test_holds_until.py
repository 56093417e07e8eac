"""A result holds as long as it says it does: on every later day up to ``recheck_at``, the same facts give the same
status, hours and flags (evidence included). An incremental evaluation relies on it to judge a cadre again only when
their facts change or that moment passes; a kind that promised too long would leave a stale result in place."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from moodle_bridge.rules.evaluate import Situation, evaluate_cadre
from moodle_bridge.rules.facts import CadreFacts, CompletionFact, CourseFacts, Credit, OpenCourse
from moodle_bridge.rules.loader import parse_rules
from moodle_bridge.rules.model import Exemption
from moodle_bridge.rules.periods import day_end, day_start, period

from ..services.test_incremental_evaluation import _rules_text

RULES = parse_rules(_rules_text(0)).rules
ORGANISATION = RULES.organisation
SPAN = period("2026", ORGANISATION)
COURSES = {cid: CourseFacts(cid, "CT2026-PT26-001" if cid == 2 else f"CT-{cid}", f"C{cid}", f"Course {cid}",
                            "CAT-RR" if hours is None else "CAT-A", "Reading" if hours is None else "Courses", hours)
           for cid, hours in {2: 4.0, 3: 6.0, 4: 8.0, 5: 12.0, 6: None, 7: None}.items()}
OPEN = [OpenCourse(cid, 0, None) for cid in COURSES if cid != 4]  # course 4 is not open: a remedy says so
DAYS = [date(2026, 1, 1) + timedelta(days=n) for n in range(400)]  # every day through the period's end and after

days = st.integers(-400, 400).map(lambda n: date(2026, 1, 1) + timedelta(days=n))
completions = st.dictionaries(st.sampled_from(sorted(COURSES)), st.tuples(days, st.sampled_from([None, 40.0, 90.0])),
                              max_size=4)
credits = st.lists(st.tuples(st.sampled_from(["2023", "2024", "2025", "2026"]), st.sampled_from([2.0, 4.0, 9.0, 20.0]),
                             st.booleans(), st.integers(0, 364)), max_size=8)


@settings(max_examples=100, deadline=None)
@given(rank=st.sampled_from(["county_leader", "section_chief", "staff"]), joined=st.none() | days,
       promoted=st.none() | days, earned=credits, done=completions,
       shortfall=st.none() | st.sampled_from([3.0, 12.0]),
       exempt=st.none() | st.tuples(st.sampled_from(["full", "prorate"]), days, days))
def test_a_result_holds_until_its_recheck_moment(rank, joined, promoted, earned, done, shortfall, exempt):
    cadre = CadreFacts(1, "CD1", "A", "U1", "Unit", rank, "civil_servant", joined=joined, promoted=promoted)
    credits = [Credit(f"x:{n}", "CD1", label, hours, online,
                      day_start(date(int(label), 1, 1) + timedelta(days=day), ORGANISATION))
               for n, (label, hours, online, day) in enumerate(earned)]
    completions = {cid: CompletionFact(1, cid, day_start(day, ORGANISATION) + 3600, grade)
                   for cid, (day, grade) in done.items()}
    exemptions = [] if exempt is None else [Exemption(cadre_id="CD1", reason="illness", **{"from": min(exempt[1:])},
                                                      to=max(exempt[1:]), effect=exempt[0])]
    judged = []
    for day in DAYS:
        result = evaluate_cadre(cadre, credits, completions, [], Situation(RULES, SPAN, day_end(day, ORGANISATION),
                                                                            COURSES, OPEN), exemptions, shortfall)
        flags = [(f.kind, f.group, f.rule, f.evidence) for f in result.flags]
        judged.append((day_end(day, ORGANISATION), result.recheck_at,
                       (result.status, result.required_hours, result.hours_online, result.hours_offline, flags)))
    for n, (_end, holds_until, outcome) in enumerate(judged):
        for later_end, _later_holds, later in judged[n + 1:]:
            if holds_until is not None and later_end > holds_until:
                break
            assert later == outcome, (DAYS[n], holds_until, later_end)

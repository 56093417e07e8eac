"""Where each of a cadre's requirements stands in an evaluation, named by the rules that judged it.

An evaluation keeps the flags (what is at risk or worse) and the cadre's hours, not every requirement's verdict; the
rest is read back here: a flagged requirement stands as its flag says (non-compliant once its deadline has passed as
of the evaluation's day, at risk before), an hours requirement is measured against the cadre's hours, a course list
against the courses completed and passed (as the kind judges it: a completion the online cap left without hours is
done all the same). A kind not measured here is named and judged by its flags alone.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from ..rules.credits import completion_credits, selects
from ..rules.facts import CompletionFact, CourseFacts
from ..rules.kinds import unit_for
from ..rules.kinds.base import RequirementModel
from ..rules.kinds.makeup import MakeUp
from ..rules.kinds.min_hours import MinHours
from ..rules.kinds.min_online_hours import MinOnlineHours
from ..rules.kinds.required_courses import COMPLETED_LATE, CourseList, courses_met
from ..rules.kinds.window import Window
from ..rules.model import Organisation, Rules
from ..rules.periods import Period, add_months, day_end, day_start, period
from .answers import CadreResult, CreditLine, Evaluation, Flag, RequirementStanding, WindowYears

_MET = 1e-9  # hours: as the kinds compare them


def _deadline(evidence: Mapping[str, object], organisation: Organisation) -> int | None:
    """When a flagged requirement is due, from its evidence (a due day, a window, a period); None: not said."""
    try:
        if isinstance(due := evidence.get("due"), str):
            return day_end(date.fromisoformat(due), organisation)
        if isinstance(window := evidence.get("window"), str) and "-" in window:
            return period(window.rsplit("-", 1)[1], organisation).end
        if isinstance(label := evidence.get("period"), str) and label:
            return period(label, organisation).end
    except ValueError:
        return None
    return None


def flag_status(flag: Flag, result: CadreResult, flagged: int, evaluation: Evaluation,
                organisation: Organisation) -> str:
    """At risk or non-compliant: the cadre's own status when it tells (one flagged requirement, or a cadre at risk),
    else whether the flag's deadline had passed as of the evaluation's day (how every kind decides it)."""
    if flag.kind == COMPLETED_LATE:  # done, only late: the kind raises it at risk whatever its (past) due day
        return "at_risk"
    if result.status != "non_compliant" or flagged <= 1:
        return result.status if result.status in ("at_risk", "non_compliant") else "at_risk"
    if flag.evidence.get("overdue") is True:
        return "non_compliant"
    deadline = _deadline(flag.evidence, organisation)
    if deadline is None:
        return result.status
    return "non_compliant" if day_end(evaluation.as_of, organisation) > deadline else "at_risk"


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _share(rules: Rules, result: CadreResult) -> float:
    """The share of the period the cadre owes (pro-rating): the evaluation kept the highest minimum pro-rated."""
    top = max((m for g in result.groups if g in rules.groups for r in rules.groups[g].requirements
               if (m := unit_for(r.kind).period_minimum(r)) is not None), default=0.0)
    return result.required_hours / top if top and result.required_hours is not None else 1.0


def window_years(requirement: Window, credits: Sequence[CreditLine]) -> tuple[int, int, list[tuple[str, float]]]:
    """The window's years and the hours of each (a carry-over is last year's surplus: not counted twice)."""
    first, last = requirement.start_year, requirement.start_year + requirement.years - 1
    years = [(str(y), round(sum(c.hours for c in credits if c.period == str(y) and c.source.kind != "carryover"), 2))
             for y in range(first, last + 1)]
    return first, last, years


def passed_courses(completions: Sequence[CompletionFact], courses: Mapping[int, CourseFacts],
                   rules: Rules) -> frozenset[int]:
    """The courses (ids) a cadre completed and did not fail, as the evaluation counts them done: whatever hours they
    earned (the online cap may leave none, a course may be worth none)."""
    _earned, refused = completion_credits("", list(completions), dict(courses), rules)
    failed = {r.course_id for r in refused if r.reason == "failed assessment"}
    return frozenset(c.course_id for c in completions if c.course_id not in failed)


@dataclass(frozen=True)
class MakeUpFacts:
    """What a make-up starts from: when the cadre was promoted, what the previous period left short."""

    promoted: date | None = None
    shortfall_before: float | None = None


def _measured(requirement: RequirementModel, rules: Rules, result: CadreResult, credits: Sequence[CreditLine],
              courses: Mapping[int, CourseFacts], passed: Collection[int], span: Period,
              facts: MakeUpFacts) -> RequirementStanding | None:
    """An unflagged requirement this module can measure; None for any other kind. ``not_applicable``: the
    requirement asks nothing of this period (a window or a due day in other years, no make-up owed)."""
    organisation = rules.organisation
    if isinstance(requirement, MinHours | MinOnlineHours):
        required = round(requirement.hours * _share(rules, result), 2)
        achieved = result.hours if isinstance(requirement, MinHours) else result.hours_online
        return RequirementStanding("", None, requirement, "compliant" if achieved >= required - _MET else "on_track",
                                   required, round(achieved, 2))
    if isinstance(requirement, Window):
        first, last, years = window_years(requirement, credits)
        achieved = round(sum(h for _y, h in years), 2)
        status = "not_applicable" if not first <= int(span.label) <= last else (
            "compliant" if achieved >= requirement.hours - _MET else "on_track")
        return RequirementStanding("", None, requirement, status, requirement.hours, achieved)
    if isinstance(requirement, CourseList):
        chosen = [c for c in courses.values() if any(selects(s, c) for s in requirement.courses)]
        done = [c for c in chosen if c.id in passed]
        met = courses_met(requirement, chosen, done)
        due_here = span.start < day_end(requirement.due, organisation) <= span.end
        # Not met and not flagged: the kind found it on track (due later than the due-soon days).
        return RequirementStanding("", None, requirement, "compliant" if met else "on_track" if due_here else
                                   "not_applicable", courses=[c.fullname for c in chosen],
                                   done=[c.fullname for c in done],
                                   due=requirement.due)
    if isinstance(requirement, MakeUp):
        return _makeup(requirement, span, organisation, facts, credits)
    return None


def _makeup(requirement: MakeUp, span: Period, organisation: Organisation, facts: MakeUpFacts,
            credits: Sequence[CreditLine]) -> RequirementStanding:
    """A make-up applies to the period its window (promotion or the period's start, plus the months) touches; the
    hours earned in that window count toward it (a carry-over is not new training)."""
    if requirement.after == "promotion":
        start, owed = facts.promoted, requirement.hours
    else:
        start, owed = datetime.fromtimestamp(span.start, ZoneInfo(organisation.timezone)).date(), facts.shortfall_before
    due = add_months(start, requirement.within_months) if start else None
    if start is None or due is None or not owed or day_end(due, organisation) <= span.start \
            or day_start(start, organisation) >= span.end:
        return RequirementStanding("", None, requirement, "not_applicable")
    achieved = round(sum(c.hours for c in credits if start <= c.day <= due and c.source.kind != "carryover"), 2)
    return RequirementStanding("", None, requirement, "compliant" if achieved >= owed - _MET else "on_track", owed,
                               achieved, due=due)


def standings(rules: Rules | None, evaluation: Evaluation, result: CadreResult, flags: Sequence[Flag],
              credits: Sequence[CreditLine], courses: Mapping[int, CourseFacts],
              facts: MakeUpFacts = MakeUpFacts(), passed: Collection[int] = frozenset()) -> list[RequirementStanding]:
    """Every requirement of the cadre's groups, in the rules' order; without the rules, one per flagged requirement
    (``courses``: the mirror's, and ``passed``: the courses the cadre completed and passed, for course lists)."""
    organisation = rules.organisation if rules else Organisation()
    flagged = len({f.rule for f in flags})
    if rules is None:
        by_rule: dict[str, list[Flag]] = {}
        for f in flags:
            by_rule.setdefault(f.rule, []).append(f)
        return [RequirementStanding(found[0].group, None, None,
                                    flag_status(found[0], result, flagged, evaluation, organisation),
                                    _number(found[0].evidence.get("required")),
                                    _number(found[0].evidence.get("achieved")), found)
                for found in by_rule.values()]
    span = period(evaluation.period, organisation)
    standing = []
    for name in result.groups:
        group = rules.groups.get(name)
        for index, requirement in enumerate(group.requirements if group else []):
            mine = [f for f in flags if f.rule == f"groups.{name}.requirements[{index}]"]
            found = (_measured(requirement, rules, result, credits, courses, passed, span, facts)
                     or RequirementStanding("", None, requirement, None))
            found = replace(found, group=name, group_label=group.label if group else None, flags=mine)
            if result.status in ("exempt", "suspended"):  # the cadre's own status, where it asks anything
                found = replace(found, status=result.status if found.status != "not_applicable" else found.status)
            elif mine:  # the flag's own figures: what the evaluation measured
                evidence = mine[0].evidence
                found = replace(found, status=flag_status(mine[0], result, flagged, evaluation, organisation),
                                required=_number(evidence.get("required")) or found.required,
                                achieved=_number(evidence.get("achieved")) if "achieved" in evidence
                                else found.achieved)
            standing.append(found)
    return standing


def windows(standing: Sequence[RequirementStanding], credits: Sequence[CreditLine]) -> list[WindowYears]:
    """The multi-year windows of the cadre's requirements, year by year."""
    found = []
    for item in standing:
        if isinstance(item.requirement, Window):
            first, last, years = window_years(item.requirement, credits)
            found.append(WindowYears(first, last, item.requirement.hours, years,
                                     round(sum(h for _y, h in years), 2), item.status))
    return found

"""Who meets this period's training requirements, and why not (pure functions over plain data).

A cadre gets the requirements of every group whose selection matches. Each requirement gives a
status (compliant, on track, at risk, non-compliant) and, when at risk or worse, a flag with its
evidence; the cadre's status is the worst of them. A full exemption makes the cadre exempt; a
pro-rating one, like joining mid-period, scales the hours by the share of the period left.
Each requirement kind is judged by its unit in ``rules/kinds/`` (through the registry).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .credits import course_hours, selects
from .facts import CadreFacts, CompletionFact, CourseFacts, Credit, OfflineFact, OpenCourse, Refused
from .kinds import unit_for
from .kinds.base import SEVERITY, CadreContext, CourseOption, Evidence
from .model import Condition, CourseSelector, Exemption, Rules
from .periods import Period, day_end, day_start, elapsed_share
from .rates import STATUSES, completion_rate

_SEVERITY = SEVERITY  # the order of the statuses a requirement gives, worst last

__all__ = ["STATUSES", "CadreResult", "Flag", "Situation", "UnitTally", "carry_over", "evaluate_cadre", "groups_of",
           "hours_shortfall", "matches", "period_minimum", "present_share", "shortfall", "unit_rates"]


@dataclass
class Situation:
    """The period evaluated, and the moment: the end of the as-of day. A due date or a period's
    last day is over only once the as-of day is after it: on the due date itself, it is due today."""

    rules: Rules
    period: Period
    as_of_end: int
    courses: dict[int, CourseFacts]
    open: Sequence[OpenCourse] | None = None  # the courses open in Moodle on the as-of day; None: not loaded
    _chosen: dict[int, list[CourseFacts]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _open_until: dict[int | None, list[CourseOption]] = field(default_factory=dict, init=False, repr=False,
                                                              compare=False)

    def chosen(self, selectors: Sequence[CourseSelector]) -> list[CourseFacts]:
        """The courses a requirement names: resolved once per evaluation, not once per cadre."""
        if id(selectors) not in self._chosen:
            self._chosen[id(selectors)] = [c for c in self.courses.values() if any(selects(s, c) for s in selectors)]
        return self._chosen[id(selectors)]

    def open_courses(self, until: int | None = None) -> list[CourseOption] | None:
        """The courses open on the as-of day that start before ``until`` (any, when None), with the hours they
        earn (before a bonus), most hours first: resolved once per evaluation and due day, not once per cadre."""
        if self.open is None:
            return None
        if until not in self._open_until:
            cap = self.rules.credits.cap_per_item
            found = [(CourseOption(course.id, course.fullname, min(course_hours(course, self.rules), cap or math.inf)))
                     for o in self.open if (course := self.courses.get(o.course_id)) is not None
                     and (until is None or o.start < until)]
            self._open_until[until] = sorted((c for c in found if c.hours > 0), key=lambda c: (-c.hours, c.name, c.id))
        return self._open_until[until]

    def open_course_ids(self) -> set[int] | None:
        """Every course open on the as-of day, whatever it earns: a required course worth no hours is still open."""
        return None if self.open is None else {o.course_id for o in self.open}

    @property
    def period_over(self) -> bool:
        return self.as_of_end > self.period.end

    def past(self, moment_end: int) -> bool:
        return self.as_of_end > moment_end


@dataclass
class Flag:
    kind: str
    group: str
    rule: str  # e.g. "groups.leading.requirements[1]"
    data: Evidence  # the typed evidence of the requirement's kind

    @property
    def evidence(self) -> dict[str, Any]:
        """The evidence as it is stored (JSON)."""
        return self.data.to_json()


@dataclass
class CadreResult:
    cadre: CadreFacts
    status: str
    groups: list[str] = field(default_factory=list)
    hours_online: float = 0.0
    hours_offline: float = 0.0
    required_hours: float | None = None  # the period's minimum (pro-rated): what a shortfall is measured against
    flags: list[Flag] = field(default_factory=list)
    # The last moment (an as-of day's end) at which the same facts give this same result: the earliest of its
    # requirements' (``Outcome.holds_until``); None: until the facts change. An incremental evaluation judges the
    # cadre again only when their facts changed or this moment has passed.
    recheck_at: int | None = None

    @property
    def hours_total(self) -> float:
        return self.hours_online + self.hours_offline


def matches(condition: Condition, cadre: CadreFacts) -> bool:
    for attribute in ("rank", "category", "unit", "cohort"):
        wanted = getattr(condition, attribute)
        if wanted is not None and not (set(wanted) & cadre.attribute(attribute)):
            return False
    if condition.all is not None and not all(matches(c, cadre) for c in condition.all):
        return False
    return not (condition.any is not None and not any(matches(c, cadre) for c in condition.any))


def groups_of(cadre: CadreFacts, rules: Rules) -> list[str]:
    return [name for name, group in rules.groups.items() if matches(group.select, cadre)]


def period_minimum(cadre: CadreFacts, rules: Rules) -> float:
    """The highest period minimum (min_hours) of the cadre's groups; 0 when none sets one."""
    return max((minimum for g in groups_of(cadre, rules) for r in rules.groups[g].requirements
                if (minimum := unit_for(r.kind).period_minimum(r)) is not None), default=0.0)


def present_share(cadre: CadreFacts, exemptions: Sequence[Exemption], span: Period, rules: Rules) -> float:
    """The share of the span the cadre was there and not exempted (pro-rating)."""
    start = span.start if cadre.joined is None else max(span.start, day_start(cadre.joined, rules.organisation))
    if start >= span.end:
        return 0.0
    organisation = rules.organisation
    cuts = sorted((max(start, day_start(e.start, organisation)), min(span.end, day_end(e.end, organisation)))
                  for e in exemptions if e.effect == "prorate")
    away, reach = 0, start
    for cut_start, cut_end in cuts:
        cut_start = max(cut_start, reach)
        if cut_end > cut_start:
            away += cut_end - cut_start
            reach = cut_end
    return max(0.0, (span.end - start - away) / span.seconds)


def evaluate_cadre(
    cadre: CadreFacts,
    credits: list[Credit],
    completions: Mapping[int, CompletionFact],
    refused: Sequence[Refused],
    situation: Situation,
    exemptions: Sequence[Exemption] = (),
    previous_shortfall: float | None = None,
    offline: Sequence[OfflineFact] = (),
) -> CadreResult:
    """The cadre's status and flags in ``situation``: ``credits`` (every period's), ``completions`` by course id,
    ``refused`` sources, and the facts a kind may judge by themselves (``offline``: the cadre's offline records)."""
    rules, span = situation.rules, situation.period
    mine = [c for c in credits if c.period == span.label]
    result = CadreResult(cadre, "compliant", groups_of(cadre, rules),
                         hours_online=round(sum(c.hours for c in mine if c.online), 2),
                         hours_offline=round(sum(c.hours for c in mine if not c.online), 2))
    if cadre.suspended:
        result.status = "suspended"
        return result
    overlapping = [e for e in exemptions if day_start(e.start, rules.organisation) < span.end
                   and day_end(e.end, rules.organisation) > span.start]
    if any(e.effect == "full" for e in overlapping):
        result.status = "exempt"
        return result
    failed = {r.course_id: r for r in refused if r.reason == "failed assessment" and r.course_id is not None}
    context = CadreContext(cadre, credits, mine, completions, failed,
                           present_share(cadre, overlapping, span, rules),
                           elapsed_share(span.start, span.end, situation.as_of_end), previous_shortfall, offline)
    statuses = []
    for group_name in result.groups:
        for index, requirement in enumerate(rules.groups[group_name].requirements):
            outcome = unit_for(requirement.kind).evaluate(requirement, context, situation)
            statuses.append(outcome.status)
            if outcome.holds_until is not None:
                result.recheck_at = (outcome.holds_until if result.recheck_at is None
                                     else min(result.recheck_at, outcome.holds_until))
            if outcome.minimum_hours is not None:
                result.required_hours = max(result.required_hours or 0, outcome.minimum_hours)
            if outcome.flag is not None and outcome.evidence is not None:
                result.flags.append(Flag(outcome.flag, group_name, f"groups.{group_name}.requirements[{index}]",
                                         outcome.evidence))
    if statuses:
        result.status = max(statuses, key=_SEVERITY.__getitem__)
    return result


def shortfall(status: str, required_hours: float | None, achieved: float) -> float:
    """Hours short of the period's minimum, as an evaluation of a finished period found them: what a
    make-up after a shortfall owes next period. Exempt and suspended cadres owe nothing."""
    if required_hours is None or status in ("exempt", "suspended"):
        return 0.0
    missing = required_hours - achieved
    return round(missing, 2) if missing > 0.005 else 0.0


def hours_shortfall(cadre: CadreFacts, credits: list[Credit], rules: Rules, span: Period,
                    exemptions: Sequence[Exemption] = ()) -> float:
    """The shortfall an evaluation of the finished period ``span`` records for the cadre."""
    result = evaluate_cadre(cadre, credits, {}, [], Situation(rules, span, span.end, {}), exemptions)
    return shortfall(result.status, result.required_hours, result.hours_total)


def carry_over(cadre: CadreFacts, credits: list[Credit], rules: Rules, previous: Period, current: Period,
               exemptions: Sequence[Exemption] = ()) -> Credit | None:
    """Surplus hours of the previous period, up to carry_over.max_hours, credited to this one."""
    rule = rules.credits.carry_over
    required = period_minimum(cadre, rules)
    if not rule.enabled or not required or cadre.suspended:
        return None
    owed = required * present_share(cadre, [e for e in exemptions if e.effect == "prorate"], previous, rules)
    surplus = sum(c.hours for c in credits if c.period == previous.label and not c.source.startswith("carryover:"))
    hours = round(min(rule.max_hours, surplus - owed), 2)
    if hours <= 0:
        return None
    return Credit(f"carryover:{previous.label}", cadre.cadre_id, current.label, hours, False, current.start,
                  {"from_period": previous.label, "surplus": round(surplus - owed, 2)})


class UnitTally:
    """Per unit counts, added result by result (an evaluation in chunks keeps no result list)."""

    def __init__(self) -> None:
        self.units: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))

    def add(self, result: CadreResult) -> None:
        unit = self.units[result.cadre.unit_code]
        unit["name"] = result.cadre.unit_name
        unit["cadres"] += result.status != "suspended"
        unit[result.status] += 1

    def rates(self) -> dict[str, dict[str, Any]]:
        """Per unit: compliant ÷ (cadres − exempt); suspended cadres are counted apart."""
        return {code: {**unit, "completion_rate": completion_rate(unit)} for code, unit in self.units.items()}


def unit_rates(results: list[CadreResult]) -> dict[str, dict[str, Any]]:
    tally = UnitTally()
    for r in results:
        tally.add(r)
    return tally.rates()


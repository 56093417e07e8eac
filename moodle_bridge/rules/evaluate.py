"""Who meets this period's training requirements, and why not (pure functions over plain data).

A cadre gets the requirements of every group whose selection matches. Each requirement gives a
status (compliant, on track, at risk, non-compliant) and, when at risk or worse, a flag with its
evidence; the cadre's status is the worst of them. A full exemption makes the cadre exempt; a
pro-rating one, like joining mid-period, scales the hours by the share of the period left.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..i18n import N_
from .credits import Refused, selects
from .facts import CadreFacts, CompletionFact, CourseFacts, Credit
from .model import (
    Condition,
    Exemption,
    MakeUp,
    MinHours,
    MinOnlineHours,
    RequiredCourses,
    Rules,
    Window,
)
from .periods import Period, add_months, day_end, day_start, elapsed_share, period
from .rates import STATUSES  # noqa: F401 - re-exported where the evaluation names it

_SEVERITY = {"compliant": 0, "on_track": 1, "at_risk": 2, "non_compliant": 3}
FLAG_KINDS = {
    "missing_required_course": N_("missing required course"),
    "overdue_required_course": N_("overdue required course"),
    "required_reading_missing": N_("required reading missing"),
    "insufficient_hours": N_("insufficient hours"),
    "insufficient_online_hours": N_("insufficient online hours"),
    "failed_assessment": N_("failed assessment"),
    "window_shortfall": N_("window shortfall"),
    "makeup_due": N_("make-up due"),
}


@dataclass
class Flag:
    kind: str
    group: str
    rule: str  # e.g. "groups.leading.requirements[1]"
    evidence: dict[str, Any]


@dataclass
class CadreResult:
    cadre: CadreFacts
    status: str
    groups: list[str] = field(default_factory=list)
    hours_online: float = 0.0
    hours_offline: float = 0.0
    required_hours: float | None = None
    flags: list[Flag] = field(default_factory=list)

    @property
    def hours_total(self) -> float:
        return self.hours_online + self.hours_offline


@dataclass
class Situation:
    """The period evaluated, and the moment: the end of the as-of day. A due date or a period's
    last day is over only once the as-of day is after it: on the due date itself, it is due today."""

    rules: Rules
    period: Period
    as_of_end: int
    courses: dict[int, CourseFacts]

    def chosen(self, requirement: RequiredCourses) -> list[CourseFacts]:
        """The courses a requirement names: resolved once per evaluation, not once per cadre."""
        cache = self.__dict__.setdefault("_chosen", {})
        if id(requirement) not in cache:
            cache[id(requirement)] = [c for c in self.courses.values()
                                      if any(selects(s, c) for s in requirement.courses)]
        return cache[id(requirement)]

    @property
    def period_over(self) -> bool:
        return self.as_of_end > self.period.end

    def past(self, moment_end: int) -> bool:
        return self.as_of_end > moment_end


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


def present_share(cadre: CadreFacts, exemptions: list[Exemption], span: Period, rules: Rules) -> float:
    """The share of the span the cadre was there and not exempted (pro-rating)."""
    start = span.start if cadre.joined is None else max(span.start, day_start(cadre.joined, rules.organisation))
    if start >= span.end:
        return 0.0
    cuts = sorted((max(start, day_start(e.start, rules.organisation)), min(span.end, day_end(e.end, rules.organisation)))
                  for e in exemptions if e.effect == "prorate")
    away, reach = 0, start
    for cut_start, cut_end in cuts:
        cut_start = max(cut_start, reach)
        if cut_end > cut_start:
            away += cut_end - cut_start
            reach = cut_end
    return max(0.0, (span.end - start - away) / span.seconds)


def _pace_status(achieved: float, required: float, share: float, over: bool, margin: float) -> str:
    if achieved >= required - 1e-9:
        return "compliant"
    if over:
        return "non_compliant"
    return "at_risk" if required and achieved / required < share - margin else "on_track"


def evaluate_cadre(
    cadre: CadreFacts,
    credits: list[Credit],
    completions: dict[int, CompletionFact],
    refused: list[Refused],
    situation: Situation,
    exemptions: list[Exemption] = (),
    previous_shortfall: float | None = None,
) -> CadreResult:
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
    share = present_share(cadre, overlapping, span, rules)
    elapsed = elapsed_share(span.start, span.end, situation.as_of_end)
    statuses = []
    failed = {r.course_id: r for r in refused if r.reason == "failed assessment"}
    for group_name in result.groups:
        for index, requirement in enumerate(rules.groups[group_name].requirements):
            where = f"groups.{group_name}.requirements[{index}]"
            status, flag, required = _requirement(requirement, cadre, credits, mine, completions, failed, situation,
                                                  share, elapsed, previous_shortfall)
            statuses.append(status)
            if required is not None and isinstance(requirement, MinHours):
                result.required_hours = max(result.required_hours or 0, required)
            if flag is not None:
                kind, evidence = flag
                result.flags.append(Flag(kind, group_name, where, evidence))
    if statuses:
        result.status = max(statuses, key=_SEVERITY.__getitem__)
    return result


def _requirement(requirement, cadre, credits, mine, completions, failed, situation, share, elapsed,
                 previous_shortfall):
    """(status, (flag kind, evidence) or None, required hours or None) of one requirement."""
    rules, span = situation.rules, situation.period
    margin = rules.status.at_risk_margin
    if isinstance(requirement, (MinHours, MinOnlineHours)):
        online_only = isinstance(requirement, MinOnlineHours)
        required = round(requirement.hours * share, 2)
        achieved = round(sum(c.hours for c in mine if c.online or not online_only), 2)
        status = _pace_status(achieved, required, elapsed, situation.period_over, margin)
        kind = "insufficient_online_hours" if online_only else "insufficient_hours"
        evidence = {"required": required, "achieved": achieved, "period": span.label,
                    "elapsed_share": round(elapsed, 3)}
        if share < 1:
            evidence["pro_rated_share"] = round(share, 3)
        return status, (kind, evidence) if _SEVERITY[status] >= 2 else None, required
    if isinstance(requirement, RequiredCourses):
        return _required_courses(requirement, cadre, completions, failed, situation) + (None,)
    if isinstance(requirement, Window):
        return _window(requirement, credits, situation) + (None,)
    if isinstance(requirement, MakeUp):
        return _makeup(requirement, cadre, credits, situation, previous_shortfall) + (None,)
    raise TypeError(requirement)  # unreachable: the model admits only these


def _required_courses(requirement: RequiredCourses, cadre, completions, failed, situation):
    rules, span = situation.rules, situation.period
    due_end = day_end(requirement.due, rules.organisation)
    if not (span.start < due_end <= span.end):
        return "compliant", None  # due in another period
    if cadre.joined is not None and day_start(cadre.joined, rules.organisation) >= due_end:
        return "compliant", None  # due before the cadre joined
    chosen = situation.chosen(requirement)
    done = [c for c in chosen if c.id in completions and c.id not in failed]
    reading = requirement.kind == "required_reading"
    if chosen and (len(done) == len(chosen) if requirement.need == "all" else done):
        return "compliant", None
    missing = [c for c in chosen if c not in done]
    evidence = {"due": requirement.due.isoformat(), "required": [c.fullname for c in chosen],
                "missing": [c.fullname for c in missing], "missing_ids": [c.id for c in missing],
                "need": requirement.need}
    failed_here = [c for c in missing if c.id in failed]
    if failed_here:
        evidence["failed"] = [{"course": c.fullname, "grade": failed[c.id].detail.get("grade"),
                               "pass_grade": failed[c.id].detail.get("pass_grade")} for c in failed_here]
    if situation.past(due_end):
        kind = "required_reading_missing" if reading else (
            "failed_assessment" if failed_here else "overdue_required_course")
        return "non_compliant", (kind, evidence)
    if due_end - situation.as_of_end <= rules.status.due_soon_days * 86400:
        kind = "required_reading_missing" if reading else (
            "failed_assessment" if failed_here else "missing_required_course")
        return "at_risk", (kind, evidence)
    return "on_track", None


def _window(requirement: Window, credits, situation):
    rules = situation.rules
    first, last = requirement.start_year, requirement.start_year + requirement.years - 1
    if not first <= int(situation.period.label) <= last:
        return "compliant", None
    start, end = period(first, rules.organisation).start, period(last, rules.organisation).end
    # A carry-over is last period's surplus moved forward: counting it in a window would count it twice.
    achieved = round(sum(c.hours for c in credits if first <= int(c.period) <= last
                         and not c.source.startswith("carryover:")), 2)
    share = elapsed_share(start, end, situation.as_of_end)
    status = _pace_status(achieved, requirement.hours, share, situation.past(end), rules.status.at_risk_margin)
    evidence = {"required": requirement.hours, "achieved": achieved, "window": f"{first}-{last}",
                "expected_by_now": round(requirement.hours * share, 1)}
    return status, ("window_shortfall", evidence) if _SEVERITY[status] >= 2 else None


def _makeup(requirement: MakeUp, cadre: CadreFacts, credits, situation, previous_shortfall):
    rules, span = situation.rules, situation.period
    if requirement.after == "promotion":
        if cadre.promoted is None or requirement.hours is None:
            return "compliant", None
        start_day, required = cadre.promoted, requirement.hours
    else:
        if not previous_shortfall:
            return "compliant", None
        start_day = datetime.fromtimestamp(span.start, ZoneInfo(rules.organisation.timezone)).date()  # previous end
        required = previous_shortfall
    start = day_start(start_day, rules.organisation)
    due_day = add_months(start_day, requirement.within_months)
    end = day_end(due_day, rules.organisation)  # due on the due day itself, like a required course
    if end <= span.start or start >= span.end:
        return "compliant", None  # the make-up window is not in this period
    achieved = round(sum(c.hours for c in credits if start <= c.at < end and not c.source.startswith("carryover:")), 2)
    if achieved >= required - 1e-9:
        return "compliant", None
    evidence = {"after": requirement.after, "required": round(required, 2), "achieved": achieved,
                "due": due_day.isoformat()}
    if situation.past(end):
        return "non_compliant", ("makeup_due", evidence)
    if end - situation.as_of_end <= rules.status.due_soon_days * 86400:
        return "at_risk", ("makeup_due", evidence)
    return "on_track", None


def hours_shortfall(cadre: CadreFacts, credits: list[Credit], rules: Rules, span: Period,
                    exemptions: list[Exemption] = ()) -> float:
    """Hours short of the highest min_hours of the cadre's groups in a finished period (for make-up)."""
    required = max((r.hours for g in groups_of(cadre, rules) for r in rules.groups[g].requirements
                    if isinstance(r, MinHours)), default=0.0)
    if not required or cadre.suspended:
        return 0.0
    overlapping = [e for e in exemptions if day_start(e.start, rules.organisation) < span.end
                   and day_end(e.end, rules.organisation) > span.start]
    if any(e.effect == "full" for e in overlapping):
        return 0.0
    owed = required * present_share(cadre, overlapping, span, rules)
    achieved = sum(c.hours for c in credits if c.period == span.label)
    return round(max(0.0, owed - achieved), 2)


def carry_over(cadre: CadreFacts, credits: list[Credit], rules: Rules, previous: Period, current: Period,
               exemptions: list[Exemption] = ()) -> Credit | None:
    """Surplus hours of the previous period, up to carry_over.max_hours, credited to this one."""
    rule = rules.credits.carry_over
    required = max((r.hours for g in groups_of(cadre, rules) for r in rules.groups[g].requirements
                    if isinstance(r, MinHours)), default=0.0)
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
        result = {}
        for code, unit in self.units.items():
            counted = unit["cadres"] - unit["exempt"]
            result[code] = {**unit, "completion_rate": round(unit["compliant"] / counted, 4) if counted else None}
        return result


def unit_rates(results: list[CadreResult]) -> dict[str, dict[str, Any]]:
    tally = UnitTally()
    for r in results:
        tally.add(r)
    return tally.rates()

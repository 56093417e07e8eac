"""At least so many class hours in the period (online and offline), pro-rated for late joiners and exemptions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self

from pydantic import Field

from ...i18n import N_, _
from ..bounds import MAX_HOURS
from .base import (
    FLAGGED,
    SEVERITY,
    CadreContext,
    CourseOption,
    Evidence,
    Kind,
    Outcome,
    RequirementModel,
    SituationView,
    courses_that_count,
    hours_remedy,
    last_day,
    options_from_json,
    pace_holds_until,
    pace_status,
    stored_day,
)


class MinHours(RequirementModel):
    kind: Literal["min_hours"]
    hours: float = Field(gt=0, le=MAX_HOURS)


@dataclass(frozen=True)
class PeriodHoursEvidence(Evidence):
    """Hours required (pro-rated) and achieved in the period; for the remedy, the period's last day, whether it is
    past, and open courses that would count. How far the period has gone is the evaluation's as-of day: kept out of
    the evidence (an older version stored it), which then holds from one day to the next."""

    required: float
    achieved: float
    period: str
    pro_rated_share: float | None = None  # only when the cadre owes less than the whole period
    due: str | None = None  # the period's last day (ISO); None in an older version's evidence
    overdue: bool = False  # the period is over: hours earned now count in the next one
    open_courses: list[CourseOption] = field(default_factory=list)  # stored only when there are some

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"required": self.required, "achieved": self.achieved, "period": self.period}
        if self.due is not None:
            data["due"] = self.due
        if self.pro_rated_share is not None:
            data["pro_rated_share"] = self.pro_rated_share
        if self.overdue:
            data["overdue"] = True
        if self.open_courses:
            data["open_courses"] = [c.to_json() for c in self.open_courses]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(data.get("required", 0), data.get("achieved", 0), data.get("period", ""),
                   data.get("pro_rated_share"), data.get("due"),
                   bool(data.get("overdue", False)), options_from_json(data))


def period_hours(hours: float, online_only: bool, flag: str, cadre: CadreContext,
                 situation: SituationView) -> Outcome[PeriodHoursEvidence]:
    """Hours (all, or online only) in the evaluated period against ``hours`` × the cadre's present share."""
    required = round(hours * cadre.share, 2)
    achieved = round(sum(c.hours for c in cadre.period_credits if c.online or not online_only), 2)
    span, over, margin = situation.period, situation.period_over, situation.rules.status.at_risk_margin
    status = pace_status(achieved, required, cadre.elapsed, over, margin)
    holds = pace_holds_until(status, achieved, required, span.start, span.end, margin)
    if SEVERITY[status] < FLAGGED:
        return Outcome(status, minimum_hours=required, holds_until=holds)
    evidence = PeriodHoursEvidence(required, achieved, span.label,
                                   round(cadre.share, 3) if cadre.share < 1 else None,
                                   last_day(span.end, situation.rules.organisation).isoformat(), over,
                                   [] if over else courses_that_count(cadre, situation, span.end, required - achieved))
    return Outcome(status, flag, evidence, minimum_hours=required, holds_until=holds)


def explain_period_hours(evidence: PeriodHoursEvidence) -> str:
    return _("{achieved:g} of {required:g} hours in {period}").format(
        achieved=evidence.achieved, required=evidence.required, period=evidence.period)


def remedy_period_hours(evidence: PeriodHoursEvidence, online: bool) -> str | None:
    return hours_remedy(evidence.required - evidence.achieved, stored_day(evidence.due), evidence.overdue,
                        evidence.open_courses, online)


class MinHoursKind(Kind[MinHours, PeriodHoursEvidence]):
    name = "min_hours"
    model = MinHours
    evidence = PeriodHoursEvidence
    flags: ClassVar[Mapping[str, str]] = {"insufficient_hours": N_("insufficient hours")}
    order = 10

    def evaluate(self, requirement: MinHours, cadre: CadreContext,
                 situation: SituationView) -> Outcome[PeriodHoursEvidence]:
        return period_hours(requirement.hours, False, "insufficient_hours", cadre, situation)

    def describe(self, requirement: MinHours) -> str:
        return _("at least {hours:g} class hours in the period").format(hours=requirement.hours)

    def explain(self, flag: str, evidence: PeriodHoursEvidence) -> str:
        return explain_period_hours(evidence)

    def remedy(self, flag: str, evidence: PeriodHoursEvidence) -> str | None:
        return remedy_period_hours(evidence, online=False)

    def period_minimum(self, requirement: MinHours) -> float | None:
        return requirement.hours


UNIT = MinHoursKind()

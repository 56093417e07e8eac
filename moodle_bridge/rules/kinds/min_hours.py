"""At least so many class hours in the period (online and offline), pro-rated for late joiners and exemptions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self

from pydantic import Field

from ...i18n import N_, _
from ..bounds import MAX_HOURS
from .base import FLAGGED, SEVERITY, CadreContext, Evidence, Kind, Outcome, RequirementModel, SituationView, pace_status


class MinHours(RequirementModel):
    kind: Literal["min_hours"]
    hours: float = Field(gt=0, le=MAX_HOURS)


@dataclass(frozen=True)
class PeriodHoursEvidence(Evidence):
    """Hours required (pro-rated) and achieved in the period, and how far the period has gone."""

    required: float
    achieved: float
    period: str
    elapsed_share: float
    pro_rated_share: float | None = None  # only when the cadre owes less than the whole period

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"required": self.required, "achieved": self.achieved, "period": self.period,
                                "elapsed_share": self.elapsed_share}
        if self.pro_rated_share is not None:
            data["pro_rated_share"] = self.pro_rated_share
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(data.get("required", 0), data.get("achieved", 0), data.get("period", ""),
                   data.get("elapsed_share", 0), data.get("pro_rated_share"))


def period_hours(hours: float, online_only: bool, flag: str, cadre: CadreContext,
                 situation: SituationView) -> Outcome[PeriodHoursEvidence]:
    """Hours (all, or online only) in the evaluated period against ``hours`` × the cadre's present share."""
    required = round(hours * cadre.share, 2)
    achieved = round(sum(c.hours for c in cadre.period_credits if c.online or not online_only), 2)
    status = pace_status(achieved, required, cadre.elapsed, situation.period_over,
                         situation.rules.status.at_risk_margin)
    if SEVERITY[status] < FLAGGED:
        return Outcome(status, minimum_hours=required)
    evidence = PeriodHoursEvidence(required, achieved, situation.period.label, round(cadre.elapsed, 3),
                                   round(cadre.share, 3) if cadre.share < 1 else None)
    return Outcome(status, flag, evidence, minimum_hours=required)


def explain_period_hours(evidence: PeriodHoursEvidence) -> str:
    return _("{achieved:g} of {required:g} hours in {period}").format(
        achieved=evidence.achieved, required=evidence.required, period=evidence.period)


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

    def period_minimum(self, requirement: MinHours) -> float | None:
        return requirement.hours


UNIT = MinHoursKind()

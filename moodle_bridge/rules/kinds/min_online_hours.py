"""At least so many online hours in the period, pro-rated like min_hours."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

from pydantic import Field

from ...i18n import N_, _
from ..bounds import MAX_HOURS
from .base import CadreContext, Kind, Outcome, RequirementModel, SituationView
from .min_hours import PeriodHoursEvidence, explain_period_hours, period_hours, remedy_period_hours


class MinOnlineHours(RequirementModel):
    kind: Literal["min_online_hours"]
    hours: float = Field(gt=0, le=MAX_HOURS)


class MinOnlineHoursKind(Kind[MinOnlineHours, PeriodHoursEvidence]):
    name = "min_online_hours"
    model = MinOnlineHours
    evidence = PeriodHoursEvidence
    flags: ClassVar[Mapping[str, str]] = {"insufficient_online_hours": N_("insufficient online hours")}
    order = 20

    def evaluate(self, requirement: MinOnlineHours, cadre: CadreContext,
                 situation: SituationView) -> Outcome[PeriodHoursEvidence]:
        outcome = period_hours(requirement.hours, True, "insufficient_online_hours", cadre, situation)
        # an online minimum is no period minimum
        return Outcome(outcome.status, outcome.flag, outcome.evidence, holds_until=outcome.holds_until)

    def describe(self, requirement: MinOnlineHours) -> str:
        return _("at least {hours:g} online hours in the period").format(hours=requirement.hours)

    def explain(self, flag: str, evidence: PeriodHoursEvidence) -> str:
        return explain_period_hours(evidence)

    def remedy(self, flag: str, evidence: PeriodHoursEvidence) -> str | None:
        return remedy_period_hours(evidence, online=True)  # every open Moodle course earns online hours


UNIT = MinOnlineHoursKind()

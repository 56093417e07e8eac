"""Make-up hours: after a promotion (a fixed number) or after a shortfall (the hours missed), within so many months."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import Field

from ...i18n import N_, _
from ..bounds import MAX_HOURS
from ..periods import add_months, day_end, day_start
from .base import (
    CadreContext,
    CourseOption,
    Evidence,
    Kind,
    Outcome,
    RequirementModel,
    SituationView,
    courses_that_count,
    deadline_status,
    hours_remedy,
    options_from_json,
    stored_day,
)


class MakeUp(RequirementModel):
    kind: Literal["makeup"]
    after: Literal["promotion", "shortfall"]
    within_months: int = Field(ge=1, le=60)
    hours: float | None = Field(None, gt=0, le=MAX_HOURS)  # after a promotion; after a shortfall: the shortfall


@dataclass(frozen=True)
class MakeUpEvidence(Evidence):
    after: str  # promotion or shortfall
    required: float
    achieved: float
    due: str | None
    # the make-up's deadline is past; None: evidence an older version stored, which did not say (its deadline may
    # be long gone: its remedy then names no day rather than a day already past as if it were ahead)
    overdue: bool | None = False
    open_courses: list[CourseOption] = field(default_factory=list)  # stored only when there are some

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"after": self.after, "required": self.required, "achieved": self.achieved,
                                "due": self.due, "overdue": bool(self.overdue)}
        if self.open_courses:
            data["open_courses"] = [c.to_json() for c in self.open_courses]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(data.get("after", ""), data.get("required", 0), data.get("achieved", 0), data.get("due"),
                   data.get("overdue"), options_from_json(data))


class MakeUpKind(Kind[MakeUp, MakeUpEvidence]):
    name = "makeup"
    model = MakeUp
    evidence = MakeUpEvidence
    flags: ClassVar[Mapping[str, str]] = {"makeup_due": N_("make-up due")}
    order = 60

    def evaluate(self, requirement: MakeUp, cadre: CadreContext, situation: SituationView) -> Outcome[MakeUpEvidence]:
        rules, span = situation.rules, situation.period
        if requirement.after == "promotion":
            if cadre.cadre.promoted is None or requirement.hours is None:
                return Outcome("compliant", holds_until=None)
            start_day, required = cadre.cadre.promoted, requirement.hours
        else:
            if not cadre.previous_shortfall:
                return Outcome("compliant", holds_until=None)
            start_day = datetime.fromtimestamp(span.start, ZoneInfo(rules.organisation.timezone)).date()  # previous end
            required = cadre.previous_shortfall
        start = day_start(start_day, rules.organisation)
        due_day = add_months(start_day, requirement.within_months)
        end = day_end(due_day, rules.organisation)  # due on the due day itself, like a required course
        if end <= span.start or start >= span.end:
            return Outcome("compliant", holds_until=None)  # the make-up window is not in this period
        achieved = round(sum(c.hours for c in cadre.credits
                             if start <= c.at < end and not c.source.startswith("carryover:")), 2)
        if achieved >= required - 1e-9:
            return Outcome("compliant", holds_until=None)
        status, holds = deadline_status(situation, end)
        if status == "on_track":
            return Outcome(status, holds_until=holds)
        over = status == "non_compliant"
        return Outcome(status, "makeup_due", MakeUpEvidence(
            requirement.after, round(required, 2), achieved, due_day.isoformat(), over,
            [] if over else courses_that_count(cadre, situation, end, required - achieved)), holds_until=holds)

    def describe(self, requirement: MakeUp) -> str:
        if requirement.after == "promotion":
            return _("after a promotion: {hours:g} hours within {months} months").format(
                hours=requirement.hours or 0, months=requirement.within_months)
        return _("after a shortfall: make up the missing hours within {months} months").format(
            months=requirement.within_months)

    def explain(self, flag: str, evidence: MakeUpEvidence) -> str:
        return _("make-up of {required:g} hours, {achieved:g} done, due {due}").format(
            required=evidence.required, achieved=evidence.achieved, due=evidence.due)

    def remedy(self, flag: str, evidence: MakeUpEvidence) -> str | None:
        due = None if evidence.overdue is None else stored_day(evidence.due)
        return hours_remedy(evidence.required - evidence.achieved, due, bool(evidence.overdue), evidence.open_courses)

    def needs_previous_shortfall(self, requirement: MakeUp) -> bool:
        return requirement.after == "shortfall"


UNIT = MakeUpKind()

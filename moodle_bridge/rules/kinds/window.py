"""At least so many hours over a window of several periods (e.g. 550 hours in five years)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self

from pydantic import Field

from ...i18n import N_, _
from ..bounds import EARLIEST, LATEST, MAX_HOURS
from ..periods import elapsed_share, period
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


class Window(RequirementModel):
    kind: Literal["window"]
    start_year: int = Field(ge=EARLIEST.year, le=LATEST.year)
    years: int = Field(ge=1, le=20)
    hours: float = Field(gt=0, le=MAX_HOURS)


@dataclass(frozen=True)
class WindowEvidence(Evidence):
    """Hours required and achieved over the window; for the remedy, its last day, whether it is past, and open courses
    that would count. The hours a steady pace asks a year follow from the window; the hours expected by the as-of day
    (an older version stored them) changed every day, so that every cadre at risk was judged again every day."""

    required: float
    achieved: float
    window: str  # "2024-2028"
    due: str | None = None  # the window's last day (ISO); None in an older version's evidence
    overdue: bool = False  # the window is over
    open_courses: list[CourseOption] = field(default_factory=list)  # stored only when there are some

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"required": self.required, "achieved": self.achieved, "window": self.window}
        if self.due is not None:
            data["due"] = self.due
        if self.overdue:
            data["overdue"] = True
        if self.open_courses:
            data["open_courses"] = [c.to_json() for c in self.open_courses]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(data.get("required", 0), data.get("achieved", 0), data.get("window", ""),
                   data.get("due"), bool(data.get("overdue", False)), options_from_json(data))

    @property
    def per_year(self) -> float | None:
        """The hours a year a steady pace asks; None when the window does not read as "first-last" years."""
        first, _dash, last = self.window.partition("-")
        if not (first.isdigit() and last.isdigit()) or int(last) < int(first):
            return None
        return round(self.required / (int(last) - int(first) + 1), 1)


class WindowKind(Kind[Window, WindowEvidence]):
    name = "window"
    model = Window
    evidence = WindowEvidence
    flags: ClassVar[Mapping[str, str]] = {"window_shortfall": N_("window shortfall")}
    order = 50

    def evaluate(self, requirement: Window, cadre: CadreContext, situation: SituationView) -> Outcome[WindowEvidence]:
        rules = situation.rules
        first, last = requirement.start_year, requirement.start_year + requirement.years - 1
        if not first <= int(situation.period.label) <= last:
            return Outcome("compliant", holds_until=None)
        start, end = period(first, rules.organisation).start, period(last, rules.organisation).end
        # A carry-over is last period's surplus moved forward: counting it in a window would count it twice.
        achieved = round(sum(c.hours for c in cadre.credits if first <= int(c.period) <= last
                             and not c.source.startswith("carryover:")), 2)
        share = elapsed_share(start, end, situation.as_of_end)
        status = pace_status(achieved, requirement.hours, share, situation.past(end), rules.status.at_risk_margin)
        if SEVERITY[status] < FLAGGED:
            return Outcome(status, holds_until=pace_holds_until(status, achieved, requirement.hours, start, end,
                                                                rules.status.at_risk_margin))
        over = situation.past(end)
        return Outcome(status, "window_shortfall", WindowEvidence(
            requirement.hours, achieved, f"{first}-{last}", last_day(end, rules.organisation).isoformat(), over,
            [] if over else courses_that_count(cadre, situation, end, requirement.hours - achieved)),
            holds_until=pace_holds_until(status, achieved, requirement.hours, start, end, rules.status.at_risk_margin))

    def describe(self, requirement: Window) -> str:
        return _("at least {hours:g} hours in the {years} years from {start}").format(
            hours=requirement.hours, years=requirement.years, start=requirement.start_year)

    def explain(self, flag: str, evidence: WindowEvidence) -> str:
        text = _("{achieved:g} of {required:g} hours in {window}").format(
            achieved=evidence.achieved, required=evidence.required, window=evidence.window)
        if evidence.per_year is None:
            return text
        return text + _(" ({per_year:g} hours a year keep pace)").format(per_year=evidence.per_year)

    def remedy(self, flag: str, evidence: WindowEvidence) -> str | None:
        return hours_remedy(evidence.required - evidence.achieved, stored_day(evidence.due), evidence.overdue,
                            evidence.open_courses)


UNIT = WindowKind()

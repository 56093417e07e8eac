"""The sections of the rules file that are not requirements (pure pydantic models).

Unknown keys are errors: a misspelt key must never be silently ignored. The requirement kinds
declare their own models in ``rules/kinds/``; ``rules/model.py`` puts the two together.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ATTRIBUTES = ("rank", "category", "unit", "cohort")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Organisation(Strict):
    timezone: str = "Asia/Shanghai"
    period_start: str = Field("01-01", pattern=r"^\d{2}-\d{2}$", description="MM-DD a period starts on")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name such as Asia/Shanghai") from None
        return value


class UnitSource(Strict):
    source: Literal["cohort", "profile"] = "cohort"  # a unit cohort's idnumber, or a profile field
    field: str = "unit"  # the profile field, when source is profile


class Cadres(Strict):
    """How Moodle users become cadres (the profile fields' short names)."""

    cadre_id_field: str = "cadre_id"
    unit: UnitSource = UnitSource()
    rank_field: str = "rank"
    category_field: str = "category"
    joined_field: str | None = "joined"  # YYYY-MM-DD; a cadre who joined mid-period is pro-rated
    promoted_field: str | None = "promoted"  # YYYY-MM-DD; starts a make-up requirement


class CourseSelector(Strict):
    """One course by idnumber or shortname, or every course of a category (its idnumber or name)."""

    idnumber: str | None = None
    shortname: str | None = None
    category: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> CourseSelector:
        given = [k for k in ("idnumber", "shortname", "category") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of idnumber, shortname or category")
        return self


class HoursRule(Strict):
    match: CourseSelector
    hours: float = Field(ge=0)


class Courses(Strict):
    """What a course is worth: its Moodle 'hours' field, else the first matching rule, else the default."""

    default_hours: float = Field(2.0, ge=0)
    hours: list[HoursRule] = []


class Excellent(Strict):
    min_grade: float
    factor: float = Field(gt=0)


class CarryOver(Strict):
    enabled: bool = False
    max_hours: float = Field(0, ge=0)


class Credits(Strict):
    pass_grade: float | None = 60.0  # a final grade below it earns nothing; None: grades ignored
    excellent: Excellent | None = None
    offline_hours_per_day: float = Field(7.5, gt=0)
    leave_limit: float = Field(1 / 7, ge=0, le=1)  # leave above this share of an item's hours: it counts nothing
    cap_per_item: float | None = Field(None, gt=0)
    cap_online_per_period: float | None = Field(None, gt=0)
    carry_over: CarryOver = CarryOver()


Selection = dict[str, "str | list[str] | Selection | list[Selection]"]


class Condition(Strict):
    """Attribute values (any listed value matches), combined with all/any."""

    rank: list[str] | None = None
    category: list[str] | None = None
    unit: list[str] | None = None
    cohort: list[str] | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None

    @field_validator("rank", "category", "unit", "cohort", mode="before")
    @classmethod
    def _listify(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class Exemption(Strict):
    cadre_id: str
    reason: str = Field(min_length=1)
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    effect: Literal["full", "prorate"] = "prorate"

    @model_validator(mode="after")
    def _ordered(self) -> Exemption:
        if self.end < self.start:
            raise ValueError("'to' is before 'from'")
        return self


class Status(Strict):
    at_risk_margin: float = Field(0.1, ge=0, le=1)  # behind the period's elapsed share by more than this
    due_soon_days: int = Field(30, ge=0)  # a required item due within this many days: at risk

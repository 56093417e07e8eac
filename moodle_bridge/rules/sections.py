"""The sections of the rules file that are not requirements (pure pydantic models).

Unknown keys are errors: a misspelt key must never be silently ignored. The requirement kinds
declare their own models in ``rules/kinds/``; ``rules/model.py`` puts the two together.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from .bounds import MAX_HOURS, SaneDate

ATTRIBUTES = ("rank", "category", "unit", "cohort")


class Strict(BaseModel):
    """Unknown keys are errors, and no number is infinite or NaN (``.inf`` and ``.nan`` are YAML floats)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


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

    @field_validator("period_start")
    @classmethod
    def _real_day(cls, value: str) -> str:
        month, day = (int(p) for p in value.split("-"))
        try:
            date(2025, month, day)  # a day every year has (not 02-29)
        except ValueError:
            raise ValueError(f"{value!r} is not a day of the year (MM-DD, e.g. 01-01)") from None
        return value


TreeSourceName = Literal["none", "cohort_field", "code_prefix", "profile_path", "file"]


class UnitTreeSource(Strict):
    """Where the units' tree comes from (``rules/units.py``): nowhere (the units are flat), a cohort custom field
    naming the parent's Cohort ID, the Cohort IDs themselves (a parent's code, the separator, then more), the unit
    profile field holding a path (county / township / office), or the units file staff import."""

    source: TreeSourceName = "none"
    field: str = "parent_unit"  # the cohort custom field's short name (cohort_field)
    separator: str | None = None  # code_prefix: "-" unless given; profile_path: "/" unless given

    @property
    def parts_separator(self) -> str:
        return self.separator or ("/" if self.source == "profile_path" else "-")


class UnitSource(Strict):
    source: Literal["cohort", "profile"] = "cohort"  # a unit cohort's idnumber, or a profile field
    field: str = "unit"  # the profile field, when source is profile
    tree: UnitTreeSource = UnitTreeSource()

    @model_validator(mode="after")
    def _tree_fits(self) -> UnitSource:
        needs = {"cohort_field": "cohort", "code_prefix": "cohort", "profile_path": "profile"}.get(self.tree.source)
        if needs and needs != self.source:
            raise ValueError(f"a unit tree from {self.tree.source} needs the units from a {needs} (source: {needs})")
        return self


class Cadres(Strict):
    """How Moodle users become cadres (the profile fields' short names)."""

    cadre_id_field: str = "cadre_id"
    unit: UnitSource = UnitSource()
    rank_field: str = "rank"
    category_field: str = "category"
    joined_field: str | None = "joined"  # YYYY-MM-DD; a cadre who joined mid-period is pro-rated
    promoted_field: str | None = "promoted"  # YYYY-MM-DD; starts a make-up requirement
    # How a name reads: Moodle keeps first and last name apart; a Chinese name reads family name first (马涛)
    name_order: Literal["given_first", "family_first"] = "given_first"


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
    hours: float = Field(ge=0, le=MAX_HOURS)


class Courses(Strict):
    """What a course is worth: its Moodle 'hours' field, else the first matching rule, else the default."""

    default_hours: float = Field(2.0, ge=0, le=MAX_HOURS)
    hours: list[HoursRule] = []


class Excellent(Strict):
    min_grade: float
    factor: float = Field(gt=0, le=10)  # a bonus multiplies hours: at most tenfold


class CarryOver(Strict):
    enabled: bool = False
    max_hours: float = Field(0, ge=0, le=MAX_HOURS)


class Credits(Strict):
    pass_grade: float | None = 60.0  # a final grade below it earns nothing; None: grades ignored
    excellent: Excellent | None = None
    offline_hours_per_day: float = Field(7.5, gt=0, le=24)  # no more than a day has
    leave_limit: float = Field(1 / 7, ge=0, le=1)  # leave above this share of an item's hours: it counts nothing
    cap_per_item: float | None = Field(None, gt=0, le=MAX_HOURS)
    cap_online_per_period: float | None = Field(None, gt=0, le=MAX_HOURS)
    carry_over: CarryOver = CarryOver()


Selection = dict[str, "str | list[str] | Selection | list[Selection]"]


# A list in a selector names at least one thing, and a name is not blank: an empty list would select
# everyone (all: []) or no one (rank: []) without a word.
Values = Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]


class Condition(Strict):
    """Attribute values (any listed value matches), combined with all/any. A list, when given, names at least
    one value or condition: ``rank: []`` is a mistake, not "anyone" or "no one"."""

    rank: Values | None = None
    category: Values | None = None
    unit: Values | None = None
    cohort: Values | None = None
    all: Annotated[list[Condition], Field(min_length=1)] | None = None
    any: Annotated[list[Condition], Field(min_length=1)] | None = None

    @field_validator("rank", "category", "unit", "cohort", mode="before")
    @classmethod
    def _listify(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class Exemption(Strict):
    cadre_id: str
    reason: str = Field(min_length=1)
    start: SaneDate = Field(alias="from")
    end: SaneDate = Field(alias="to")
    effect: Literal["full", "prorate"] = "prorate"

    @model_validator(mode="after")
    def _ordered(self) -> Exemption:
        if self.end < self.start:
            raise ValueError("'to' is before 'from'")
        return self


class Words(Strict):
    """A name shown to people, in each language the file gives (at least one)."""

    en: str | None = Field(None, min_length=1)
    zh_CN: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _some(self) -> Words:
        if self.en is None and self.zh_CN is None:
            raise ValueError("give the name in at least one language (en, zh_CN)")
        return self


def _one_or_per_language(value: object) -> object:
    if isinstance(value, str):  # one name, the same in every language
        if not value.strip():
            raise ValueError("empty: write a name")
        return {"en": value, "zh_CN": value}
    if not isinstance(value, dict):
        raise ValueError("a name, or a name per language: {en: ..., zh_CN: ...}")
    return value


Label = Annotated[Words, BeforeValidator(_one_or_per_language)]  # `Town`, or `{en: Town, zh_CN: 乡镇}`


def label_text(label: Words, language: str) -> str:
    """The label in ``language``; a language the file does not give falls back to English, then to the other."""
    return getattr(label, language, None) or label.en or label.zh_CN or ""


class Labels(Strict):
    """Display names of attribute values (``section_chief`` -> "Section chief" / "正科级"): a value the file does
    not name is shown as it is."""

    rank: dict[str, Label] = {}
    category: dict[str, Label] = {}

    def value(self, attribute: str, value: str, language: str) -> str | None:
        """The display name of a rank or category value; None when the file gives none."""
        named: dict[str, Words] = getattr(self, attribute, {})
        return label_text(named[value], language) if value in named else None


class Status(Strict):
    at_risk_margin: float = Field(0.1, ge=0, le=1)  # behind the period's elapsed share by more than this
    due_soon_days: int = Field(30, ge=0, le=3660)  # a required item due within this many days: at risk

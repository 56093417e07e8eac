"""The typed answers of the read model: plain data, no rendering and no labels (labels are presentation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from ..rules import STATUSES
from ..rules.kinds.base import RequirementModel
from ..rules.ledger import Entry
from ..rules.model import Rules, Words

ReviewState = Literal["open", "reviewed", "excused"]
REVIEW_STATES: tuple[ReviewState, ...] = ("open", "reviewed", "excused")


class NoEvaluation(LookupError):
    """There is no evaluation to answer from (for that period)."""


@dataclass(frozen=True)
class Evaluation:
    id: int
    period: str
    as_of: date
    rules_hash: str
    exemptions_hash: str
    created_at: datetime
    counts: dict[str, Any]
    context_hash: str | None = None  # what its results depend on besides the cadres' facts (incremental evaluation)
    judged: int | None = None  # the cadres it judged; it held on to the others' results (None: an older version's)
    flags: int | None = None  # the flags it holds (None: an older version's)
    tallied: bool | None = None  # it keeps its units' tallies (None: an older version's, counted from its results)
    unit_tree: str | None = None  # the fingerprint of the unit tree its figures roll up along (None: flat units)
    unit_placing: str | None = None  # what placed each cadre in their unit (None: an older version's)

    @classmethod
    def from_row(cls, row: Any) -> Evaluation:
        return cls(**row._mapping)


@dataclass(frozen=True)
class CadreResult:
    """One cadre's result in an evaluation (a row of evaluation_results it holds)."""

    judged_in: int  # the evaluation that judged it: the one asked about, or an earlier one it held on from
    cadre_id: str
    user_id: int
    name: str
    unit_code: str
    unit_name: str
    groups: list[str]
    status: str
    hours_online: float
    hours_offline: float
    required_hours: float | None

    @classmethod
    def from_row(cls, row: Any) -> CadreResult:
        return cls(row.since_evaluation, row.cadre_id, row.user_id, row.name, row.unit_code, row.unit_name,
                   row.groups, row.status, row.hours_online, row.hours_offline, row.required_hours)

    @property
    def hours(self) -> float:
        return self.hours_online + self.hours_offline


@dataclass(frozen=True)
class Flag:
    """One requirement a cadre does not meet, with its evidence as the evaluation wrote it."""

    kind: str
    rule: str
    group: str
    evidence: dict[str, Any]

    @classmethod
    def from_row(cls, row: Any) -> Flag:
        """From a row of evaluation_flags."""
        return cls(kind=row.kind, rule=row.rule, group=row.group_name, evidence=row.evidence)


@dataclass(frozen=True)
class FlagRow:
    """A flag with its cadre, one line of a flag listing."""

    cadre_id: str
    name: str
    unit_code: str
    unit_name: str
    status: str
    kind: str
    group: str
    rule: str
    evidence: dict[str, Any]

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes a flag the same flag in two evaluations."""
        return self.cadre_id, self.kind, self.rule


@dataclass(frozen=True)
class FlagFilter:
    """Which flags: a unit (code or name), a group of the rules, a kind of flag; None: any."""

    unit: str | None = None
    group: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class FlagDiff:
    """Flags of `current` not in `previous` (new) and of `previous` not in `current` (resolved)."""

    current: int
    previous: int | None
    new: list[FlagRow]
    resolved: list[FlagRow]


@dataclass(frozen=True)
class UnitRate:
    """A unit's cadres by status, completion rate (rules.completion_rate, as published), rank, hours, flags, and the
    change since the previous evaluation; with a unit tree, its figures include every unit's below it, and its rank
    is among the units beside it (of the same parent). The county's total row is one too (code and name empty, no
    rank)."""

    code: str
    name: str
    compliant: int = 0
    on_track: int = 0
    at_risk: int = 0
    non_compliant: int = 0
    exempt: int = 0
    suspended: int = 0
    cadres: int = 0  # everyone but the suspended
    completion_rate: float | None = None
    hours: float = 0.0  # of the cadres, online and offline
    hours_per_cadre: float = 0.0
    flags: int = 0  # of the cadres
    flags_per_100: float = 0.0  # flags per 100 cadres
    change: float | None = None  # the rate's change since the previous evaluation of the period, in points
    rank: int | None = None  # 1 for the highest rate; equal rates share a rank; None without a rate
    parent: str | None = None  # the unit above it in the table (its figures include this one's); None: a top unit
    depth: int = 0  # how many units above it in the table

    @property
    def counts(self) -> dict[str, int]:
        return {status: getattr(self, status) for status in STATUSES}


@dataclass(frozen=True)
class TrendPoint:
    """The completion rate on an evaluation day: that day's latest evaluation of the period."""

    day: date
    evaluation_id: int
    rate: float | None


@dataclass(frozen=True)
class UnitRates:
    """The units ranked by completion rate (those without a rate last, by name), their total, and their rate
    through the period up to this evaluation."""

    evaluation: Evaluation
    previous: Evaluation | None
    units: list[UnitRate]
    total: UnitRate
    trend: list[TrendPoint] = field(default_factory=list)


@dataclass(frozen=True)
class ShortCadre:
    """A cadre short of the period's hours (or non-compliant), as the period's latest evaluation found them."""

    cadre_id: str
    name: str
    unit_code: str
    unit_name: str
    status: str
    hours: float
    required: float | None
    short: float  # hours short of the period's minimum (rules.evaluate.shortfall): the make-up a shortfall owes
    flags: list[Flag]


@dataclass(frozen=True)
class MakeUpOwed:
    """A cadre whose shortfall this period becomes make-up in the next: the hours and the day they are due."""

    cadre: ShortCadre
    due: date


@dataclass(frozen=True)
class YearSummary:
    """One period's summary for the county: the units ranked, their total and the rate through the period; the
    cadres still short (non-compliant); the make-up owed next period (None: the rules that judged are not kept)."""

    rates: UnitRates
    still_short: list[ShortCadre]
    makeup: list[MakeUpOwed] | None
    last_day: date  # the period's: an evaluation as of an earlier day sees shortfalls that may yet be made good

    @property
    def evaluation(self) -> Evaluation:
        return self.rates.evaluation

    @property
    def period_over(self) -> bool:
        return self.evaluation.as_of >= self.last_day


@dataclass(frozen=True)
class FlaggedCadre:
    cadre_id: str
    name: str
    status: str
    hours: float
    required: float | None
    flags: list[Flag]


@dataclass(frozen=True)
class FlaggedUnit:
    code: str
    name: str
    cadres: list[FlaggedCadre]


@dataclass(frozen=True)
class FlaggedByUnit:
    evaluation: Evaluation
    units: list[FlaggedUnit]


@dataclass(frozen=True, kw_only=True)
class LedgerEntry(Entry):
    """One credit entry as the append-only ledger keeps it: the rules' entry, with its number, the rules that
    decided it (None: staff's own) and when it was posted."""

    id: int
    rules_hash: str | None
    created_at: datetime


@dataclass(frozen=True)
class CadreFlags:
    """A cadre's result in an evaluation, with (some of) its flags."""

    evaluation: Evaluation
    result: CadreResult
    flags: list[Flag]


SourceKind = Literal["course", "offline", "carryover", "adjustment", "other"]


@dataclass(frozen=True)
class Source:
    """What a ledger source is, named: a Moodle course (its full and short name, the final grade), an offline
    training (its title, organiser and days), a carry-over (the period it came from) or staff's adjustment (its
    number). ``code`` is the ledger's own key, for programs; None: not known (e.g. a course gone from the mirror)."""

    code: str
    kind: SourceKind
    title: str | None = None
    course_id: int | None = None
    short_name: str | None = None
    organiser: str | None = None
    grade: float | None = None
    grade_max: float | None = None
    started: date | None = None
    ended: date | None = None
    from_period: str | None = None
    number: int | None = None


@dataclass(frozen=True)
class CreditLine:
    """What the ledger holds for one source in one period: its hours (reversals folded in), named, and the day it
    was earned in the organisation's zone."""

    source: Source
    period: str
    hours: float
    online: bool
    day: date
    reason: str | None = None  # an adjustment's


@dataclass(frozen=True)
class RequirementStanding:
    """One requirement of the cadre's groups in the evaluation: where it stands, with its flags.

    ``requirement`` and ``group_label`` come from the rules that judged (stored with the evaluation); both None for an
    older evaluation, whose requirements are known only by their flags. ``status`` is None when no flag was raised and
    nothing measures it here (met or on track), ``not_applicable`` when it asks nothing of this period; ``courses``
    and ``done`` name the courses a course list asks for and those credited; ``due``: a due day, where it has one."""

    group: str
    group_label: Words | None
    requirement: RequirementModel | None
    status: str | None
    required: float | None = None
    achieved: float | None = None
    flags: list[Flag] = field(default_factory=list)
    courses: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    due: date | None = None


@dataclass(frozen=True)
class WindowYears:
    """A multi-year window (e.g. 550 hours in 2023-2027): the hours of each of its years and where it stands."""

    first: int
    last: int
    required: float
    years: list[tuple[str, float]]
    achieved: float
    status: str | None


@dataclass(frozen=True)
class ExemptionInForce:
    """An exemption of the cadre that overlaps the period: full (exempt) or pro-rating the hours."""

    reason: str
    start: date
    end: date
    effect: str  # full or prorate
    source: str  # rules, import or review


@dataclass(frozen=True)
class UnitSpell:
    """A stretch of a cadre's membership of a unit: from ``start`` to ``end`` (the last day; None: open on that
    side), as the transfers file gave it or as evaluations saw it in Moodle."""

    code: str
    name: str
    start: date | None
    end: date | None
    from_file: bool


@dataclass(frozen=True)
class CadreFile:
    """One cadre's training file: the result, their profile, every ledger entry and the flags; the rules that judged
    (None for an evaluation older than stored rules) and what the file shows: credits named, the requirements'
    standing, multi-year windows, exemptions, and the hours short in the previous period (make-up)."""

    evaluation: Evaluation
    result: CadreResult
    profile: dict[str, Any]
    entries: list[LedgerEntry]
    flags: list[Flag]
    period_hours: float
    rules: Rules | None = None
    sources: dict[str, Source] = field(default_factory=dict)
    credits: list[CreditLine] = field(default_factory=list)  # every period's, by day
    requirements: list[RequirementStanding] = field(default_factory=list)
    windows: list[WindowYears] = field(default_factory=list)
    exemptions: list[ExemptionInForce] = field(default_factory=list)
    shortfall_before: float | None = None  # hours short of the previous period's minimum: make-up owed
    rank: str | None = None  # attribute values as Moodle holds them (the rules' labels name them)
    category: str | None = None
    joined: date | None = None
    promoted: date | None = None
    timezone: str = "Asia/Shanghai"  # the organisation's
    units: list[UnitSpell] = field(default_factory=list)  # the units they belonged to, earliest first

    @property
    def period_credits(self) -> list[CreditLine]:
        return [c for c in self.credits if c.period == self.evaluation.period]


@dataclass(frozen=True)
class CadreQuery:
    """The review page's filters on flagged cadres; None or empty: no filter."""

    unit_code: str | None = None
    kind: str | None = None
    group: str | None = None
    state: ReviewState | None = None
    search: str | None = None  # a part of the name or of the cadre id
    sort: str = "name"  # a key of SORTS
    descending: bool = False


@dataclass(frozen=True)
class ReviewedCadre:
    """A flagged cadre on the review page: the result, its flags and where its review stands."""

    result: CadreResult
    flags: list[Flag]
    review: ReviewState


@dataclass(frozen=True)
class CadrePage:
    rows: list[ReviewedCadre]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class ReviewEvent:
    id: int
    cadre_id: str
    unit_code: str
    kind: str
    text: str | None
    detail: dict[str, Any]
    staff: str
    created_at: datetime


@dataclass(frozen=True)
class Dashboard:
    """The review page's overview, within a reviewer's units: the units ranked with their total and the rate
    through the period; flags by kind."""

    rates: UnitRates
    flag_kinds: dict[str, int] = field(default_factory=dict)

    @property
    def evaluation(self) -> Evaluation:
        return self.rates.evaluation

    @property
    def units(self) -> list[UnitRate]:
        return self.rates.units

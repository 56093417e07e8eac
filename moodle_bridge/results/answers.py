"""The typed answers of the read model: plain data, no rendering and no labels (labels are presentation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from ..rules import STATUSES
from ..rules.ledger import Entry

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

    @classmethod
    def from_row(cls, row: Any) -> Evaluation:
        return cls(**row._mapping)


@dataclass(frozen=True)
class CadreResult:
    """One cadre's result in one evaluation (a row of evaluation_results)."""

    evaluation_id: int
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
        return cls(**row._mapping)

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
    """A unit's cadres by status, completion rate (rules.completion_rate), hours per cadre, change in points."""

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
    hours_per_cadre: float = 0.0
    change: float | None = None  # the rate's change since the previous evaluation of the period, as a share

    @property
    def counts(self) -> dict[str, int]:
        return {status: getattr(self, status) for status in STATUSES}


@dataclass(frozen=True)
class UnitRates:
    evaluation: Evaluation
    previous: Evaluation | None
    units: list[UnitRate]


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


@dataclass(frozen=True)
class CadreFile:
    """One cadre's training file: the result, their profile, every ledger entry and the flags."""

    evaluation: Evaluation
    result: CadreResult
    profile: dict[str, Any]
    entries: list[LedgerEntry]
    flags: list[Flag]
    period_hours: float


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
    """The review page's overview, within a reviewer's units: unit rates and flags by kind."""

    evaluation: Evaluation
    units: list[UnitRate]
    flag_kinds: dict[str, int] = field(default_factory=dict)

"""Plain data the rules work on: what the store feeds the pure functions (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class CadreFacts:
    user_id: int
    cadre_id: str
    name: str
    unit_code: str
    unit_name: str
    rank: str | None
    category: str | None
    cohorts: frozenset[str] = frozenset()
    joined: date | None = None
    promoted: date | None = None
    suspended: bool = False

    def attribute(self, name: str) -> set[str]:
        if name == "cohort":
            return set(self.cohorts)
        value = {"rank": self.rank, "category": self.category, "unit": self.unit_code}[name]
        return {value} if value else set()


@dataclass(frozen=True)
class CourseFacts:
    id: int
    idnumber: str | None
    shortname: str
    fullname: str
    category_idnumber: str | None
    category_name: str | None
    hours: float | None  # the Moodle course field; None: the rules decide


@dataclass(frozen=True)
class OpenCourse:
    """A course open in Moodle on the evaluation day (visible, not ended): one a cadre could still take."""

    course_id: int
    start: int  # Unix seconds (0: Moodle has no start date)
    end: int | None  # Unix seconds; None: no end date


@dataclass(frozen=True)
class CompletionFact:
    user_id: int
    course_id: int
    time_completed: int  # Unix seconds
    grade: float | None = None  # the final grade, when Moodle has one


@dataclass(frozen=True)
class OfflineFact:
    """One row of an offline training import."""

    source: str  # "offline:<import row key>"
    cadre_id: str
    name: str
    end: date
    days: float | None
    hours: float | None
    leave_hours: float = 0.0
    kind: str = "offline"


@dataclass(frozen=True)
class Credit:
    """Hours a source earns in a period: what the ledger must hold for (source, period)."""

    source: str  # completion:<course>:<user>, offline:<row>, adjustment:<id>, carryover:<period>
    cadre_id: str
    period: str
    hours: float
    online: bool
    at: int  # when it was earned (Unix seconds): windows and make-up count by it
    detail: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Refused:
    """A source that earns nothing, and why: shown as evidence (e.g. a failed assessment)."""

    source: str
    course_id: int | None
    reason: str
    detail: dict[str, Any]

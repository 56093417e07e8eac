"""What every requirement kind is: a rules-file model, an evaluation, plain words and typed evidence.

A kind is one module in ``rules/kinds/`` that declares ``UNIT``, an instance of :class:`Kind`. The
registry (``rules/kinds/__init__.py``) finds it; the rules model, the evaluation, ``rules check``
and the staff's flag texts all go through the registry, so a kind nobody registered fails loudly.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar
from zoneinfo import ZoneInfo

from ...i18n import _, day_words
from ..facts import CadreFacts, CompletionFact, CourseFacts, Credit, OfflineFact, Refused
from ..periods import Period
from ..sections import CourseSelector, Credits, Organisation, Status, Strict

# The order of the four statuses a requirement can give, worst last. Not the list of every status (exempt and
# suspended are the cadre's, never a requirement's): that list is ``rules.STATUSES``.
SEVERITY = {"compliant": 0, "on_track": 1, "at_risk": 2, "non_compliant": 3}
FLAGGED = 2  # at risk or worse: the requirement raises a flag
SUGGESTED = 5  # open courses a remedy of missing hours names, at most (the evidence stays small)


class RequirementModel(Strict):
    """One requirement in the rules file; each kind narrows ``kind`` to its own name."""

    kind: str


class Evidence(ABC):
    """Why a flag was raised, typed; stored as JSON (``to_json`` gives the stored shape)."""

    @abstractmethod
    def to_json(self) -> dict[str, Any]: ...

    @classmethod
    @abstractmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """From stored JSON; tolerant of keys an older version did not write."""


class RulesView(Protocol):
    """What a requirement reads of the rules (``rules.model.Rules`` is one)."""

    @property
    def organisation(self) -> Organisation: ...
    @property
    def status(self) -> Status: ...
    @property
    def credits(self) -> Credits: ...


class SituationView(Protocol):
    """The evaluation a requirement is judged in (``rules.evaluate.Situation`` is one)."""

    @property
    def rules(self) -> RulesView: ...
    @property
    def period(self) -> Period: ...
    @property
    def as_of_end(self) -> int: ...
    @property
    def period_over(self) -> bool: ...
    def past(self, moment_end: int) -> bool: ...
    def chosen(self, selectors: Sequence[CourseSelector]) -> list[CourseFacts]: ...
    def open_courses(self, until: int | None = None) -> Sequence[CourseOption] | None:
        """The courses open in Moodle on the evaluation day (starting before ``until``, when given), most hours
        first; None when nobody loaded them (a remedy then names no course)."""

    def open_course_ids(self) -> Set[int] | None:
        """Every course open in Moodle on the evaluation day, whatever hours it earns (a required course may earn
        none); None when nobody loaded them."""


@dataclass(frozen=True)
class CourseOption:
    """A course open in Moodle, with the hours it earns under the rules: what a remedy suggests."""

    id: int
    name: str
    hours: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "hours": self.hours}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CourseOption:
        return cls(data.get("id", 0), data.get("name", ""), data.get("hours", 0))


def options_from_json(data: Mapping[str, Any], key: str = "open_courses") -> list[CourseOption]:
    return [CourseOption.from_json(c) for c in data.get(key, [])]


@dataclass(frozen=True)
class CadreContext:
    """One cadre's facts, as every requirement of the evaluation sees them.

    The credits are what the rules made of the facts (hours, capped and counted once); the facts themselves are
    here too, whole, for a kind that judges something hours do not say (e.g. days of offline training: ``offline``
    holds each record's ``days``). A kind reads what it needs here and filters by period itself."""

    cadre: CadreFacts
    credits: Sequence[Credit]  # every period's
    period_credits: Sequence[Credit]  # the evaluated period's
    completions: Mapping[int, CompletionFact]  # the cadre's Moodle completions (every period's), by course id
    failed: Mapping[int, Refused]  # failed assessments, by course id
    share: float  # the share of the period the cadre is present and not exempted (pro-rating)
    elapsed: float  # the share of the period gone by
    previous_shortfall: float | None = None  # hours short of the previous period's minimum
    offline: Sequence[OfflineFact] = ()  # the cadre's offline training records not withdrawn (every period's,
    # those that earn nothing included); ``rules.periods.day_start(record.end, organisation)`` places one in a period


E = TypeVar("E", bound=Evidence)
R = TypeVar("R", bound=RequirementModel)


@dataclass(frozen=True)
class Outcome(Generic[E]):
    """A requirement's verdict: its status, a flag with evidence when at risk or worse, and the
    period's minimum hours when the requirement sets one (what a shortfall is measured against)."""

    status: str
    flag: str | None = None
    evidence: E | None = None
    minimum_hours: float | None = None
    # The last moment (an as-of day's end, Unix seconds) at which the same facts still give this same outcome, flag
    # and evidence: when a pace is lost, a due date passes, the period ends. None: only the facts can change it.
    # The default, TODAY, says nothing is known: the cadre is judged again at the next evaluation (always safe).
    holds_until: int | None = 0


TODAY = 0  # Outcome.holds_until for an outcome that may differ on any later day


def pace_holds_until(status: str, achieved: float, required: float, start: int, end: int,
                     margin: float) -> int | None:
    """Until when a pace status (``pace_status`` over the span [start, end)) stays as it is, the hours unchanged:
    met for good; on track until the elapsed share passes the achieved share plus the margin, or the span ends;
    at risk until the span ends (the share only grows); missed for good. One second early, so that a rounding
    can only make the cadre judged again a day too soon, never a day too late."""
    if status in ("compliant", "non_compliant"):
        return None
    if status == "at_risk" or not required:
        return end
    lost = start + (achieved / required + margin) * (end - start)
    return int(min(end, math.floor(lost) - 1))


def deadline_status(situation: SituationView, due_end: int) -> tuple[str, int | None]:
    """Where something not done by its due day (ending at ``due_end``) stands, and until when (``holds_until``):
    missed for good once the day is past; at risk (due soon) from the rules' due-soon days before it until it ends;
    on track until then."""
    if situation.past(due_end):
        return "non_compliant", None
    soon = due_end - situation.rules.status.due_soon_days * 86400  # the first moment it is due soon
    if situation.as_of_end >= soon:
        return "at_risk", due_end
    return "on_track", soon - 1


def pace_status(achieved: float, required: float, share: float, over: bool, margin: float) -> str:
    """Hours against a target over a span: met, missed (the span is over), or behind its pace by more than
    the margin."""
    if achieved >= required - 1e-9:
        return "compliant"
    if over:
        return "non_compliant"
    return "at_risk" if required and achieved / required < share - margin else "on_track"


class Kind(ABC, Generic[R, E]):
    """One requirement kind: what the rules file says (``model``), how it is judged, and its words."""

    name: ClassVar[str]  # the ``kind`` the rules file writes
    model: ClassVar[type[RequirementModel]]
    evidence: ClassVar[type[Evidence]]
    flags: ClassVar[Mapping[str, str]]  # the flag kinds it raises -> their labels (N_ markers)
    # Its place among the kinds wherever they are listed (the registry's UNITS, ``rules check``, the rules-file
    # error naming every kind, flag-kind pickers): lower first, ties by name. Only the order matters, not the
    # number; today's kinds step by 10 (min_hours 10 ... makeup 60) so a new kind fits between two.
    order: ClassVar[int]
    # Of its flags, those whose evidence names courses the cadre lacks: ``actions enrol`` enrols the cadre in
    # ``courses_to_enrol(evidence)`` for each. Empty: the kind's flags ask for no enrolment.
    enrolling_flags: ClassVar[frozenset[str]] = frozenset()

    @abstractmethod
    def evaluate(self, requirement: R, cadre: CadreContext, situation: SituationView) -> Outcome[E]: ...

    @abstractmethod
    def describe(self, requirement: R) -> str:
        """The requirement in plain words (``rules check``)."""

    @abstractmethod
    def explain(self, flag: str, evidence: E) -> str:
        """One sentence of evidence a staff member can read aloud."""

    @abstractmethod
    def remedy(self, flag: str, evidence: E) -> str | None:
        """What would fix the flag, in words a staff member (or the cadre, in a message) can act on: what is
        still missing, by when, and which open courses count; None when nothing can be said."""

    def courses_to_enrol(self, evidence: E) -> Sequence[int]:
        """The Moodle course ids a flag of ``enrolling_flags`` with this evidence asks to enrol the cadre in."""
        return ()

    def period_minimum(self, requirement: R) -> float | None:
        """The hours this requirement asks of every period (before pro-rating), if it is a period minimum; None
        for a kind that sets none (a course list, a window, a make-up).

        It is the yardstick outside the requirement's own evaluation: ``rules.evaluate.period_minimum`` takes the
        highest of a cadre's groups to compute the carry-over (surplus above it moves to the next period). Within
        an evaluation, the shortfall a make-up owes is measured against ``Outcome.minimum_hours`` (pro-rated)."""
        return None

    def needs_previous_shortfall(self, requirement: R) -> bool:
        """Whether judging it needs what the cadre fell short of in the previous period."""
        return False


def courses_that_count(cadre: CadreContext, situation: SituationView, until: int, missing: float) -> list[CourseOption]:
    """Open courses that would add the ``missing`` hours before ``until`` (a due date's end): not completed by the
    cadre (a course counts once), most hours first, as many as cover the missing hours and at most SUGGESTED.
    Every Moodle course earns online hours, so none counts once the period's online hours reached their cap."""
    found = situation.open_courses(until)
    cap = situation.rules.credits.cap_online_per_period
    if not found or (cap is not None and sum(c.hours for c in cadre.period_credits if c.online) >= cap - 1e-9):
        return []
    chosen: list[CourseOption] = []
    for course in found:
        if len(chosen) == SUGGESTED or sum(c.hours for c in chosen) >= missing - 1e-9:
            break
        if course.id not in cadre.completions:
            chosen.append(course)
    return chosen


def course_names(names: Sequence[str]) -> str:
    """Course titles in a sentence (the Chinese catalogue puts each in 《》)."""
    return _(", ").join(_("“{course}”").format(course=name) for name in names)


def hours_remedy(missing: float, due: date | None, overdue: bool, options: Sequence[CourseOption],
                 online: bool = False) -> str | None:
    """Hours still missing and by when, and the open courses that would count (evidence of an older version
    may know no due day and no course: the hours alone then)."""
    if missing <= 0.005:
        return None
    missing = round(missing, 2)
    if due is None:
        text = (_("{missing:g} more online hours") if online else _("{missing:g} more hours")).format(missing=missing)
    elif overdue:
        text = (_("{missing:g} online hours short; the deadline was {due}") if online else
                _("{missing:g} hours short; the deadline was {due}")).format(missing=missing, due=day_words(due))
    else:
        text = (_("{missing:g} more online hours by {due}") if online else
                _("{missing:g} more hours by {due}")).format(missing=missing, due=day_words(due))
    if options:
        text += _("; open courses that count: {courses}").format(courses=_(", ").join(
            _("“{course}” ({hours:g} hours)").format(course=c.name, hours=c.hours) for c in options))
    return text


def stored_day(text: Any) -> date | None:
    """A day stored as ISO text in evidence; None when absent or unreadable (an older version's evidence)."""
    try:
        return date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def last_day(end: int, organisation: Organisation) -> date:
    """The last day before ``end`` (a span's exclusive end), in the organisation's zone: a period's due day."""
    return datetime.fromtimestamp(end - 1, ZoneInfo(organisation.timezone)).date()

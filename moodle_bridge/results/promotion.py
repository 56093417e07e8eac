"""The promotion check: for each candidate (a cadre id), over the periods the rules' ``promotion`` section names, the
period's latest evaluation's result and the candidate's requirements there, whether they meet the requirements
(``rules.promotion``: how a requirement stands for a promotion), and the make-up a shortfall owes.

Every period's figures are the candidate's training file in that period's latest evaluation (``by_cadre.cadre_file``):
the same requirements, flags and hours staff see on the file. The whole store (an administrator's question).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from sqlalchemy import Connection, select

from ..rules.cadres import full_name
from ..rules.evaluate import shortfall
from ..rules.kinds.base import last_day
from ..rules.kinds.makeup import MakeUp
from ..rules.kinds.min_hours import MinHours
from ..rules.kinds.min_online_hours import MinOnlineHours
from ..rules.kinds.required_courses import COMPLETED_LATE
from ..rules.kinds.window import Window
from ..rules.makeup_owed import makeup_due
from ..rules.model import Rules
from ..rules.periods import period
from ..rules.promotion import (
    Candidate,
    CheckedPeriod,
    Standing,
    Verdict,
    checked_periods,
    names_match,
    overall,
    period_verdict,
    requirement_verdict,
)
from ..store.batches import where_in
from ..store.evaluation_io import closed_periods
from ..store.schema import mirror_users
from .answers import CadreFile, Evaluation, ExemptionInForce, RequirementStanding
from .by_cadre import cadre_file
from .evaluations import evaluation

__all__ = ["CandidateAnswer", "MakeUpAnswer", "PeriodAnswer", "PromotionCheck", "RequirementCheck", "deadline",
           "promotion_check"]


@dataclass(frozen=True)
class RequirementCheck:
    """One requirement of the candidate's groups in a period (as their training file shows it), how it stands for a
    promotion, and the last day it could be met (None: not known)."""

    standing: RequirementStanding
    verdict: Standing
    deadline: date | None


@dataclass(frozen=True)
class PeriodAnswer:
    """The candidate in one period checked: the period's latest evaluation (None: it has none), their training file
    in it (None: not in it), the verdict, each requirement, and the hours short of the period's minimum (a period
    that has ended)."""

    checked: CheckedPeriod
    evaluation: Evaluation | None
    file: CadreFile | None
    verdict: Verdict
    requirements: list[RequirementCheck] = field(default_factory=list)
    short: float = 0.0
    short_missed: bool = False  # hours short and no requirement of the rules says so (rules not kept)
    certified: bool = False  # the period is closed (`period close`): its ledger is certified

    @property
    def status(self) -> str | None:
        return self.file.result.status if self.file else None

    @property
    def final(self) -> bool:
        """An ended period evaluated as of its last day or later: its figures are its last."""
        return self.evaluation is not None and not self.checked.current and \
            self.evaluation.as_of >= self.checked.last_day

    @property
    def missed(self) -> list[RequirementCheck]:
        return [r for r in self.requirements if r.verdict == "missed"]

    @property
    def watch(self) -> list[RequirementCheck]:
        return [r for r in self.requirements if r.verdict == "watch"]

    @property
    def exemptions(self) -> list[ExemptionInForce]:
        """The full exemptions that made the candidate exempt in the period."""
        return [e for e in self.file.exemptions if e.effect == "full"] if self.file else []


@dataclass(frozen=True)
class MakeUpAnswer:
    """The make-up a shortfall in ``period`` owes the next period: the hours, by when, and (the next period's
    evaluation) the hours made up so far and where it stands (None: not known)."""

    period: str
    hours: float
    due: date | None
    achieved: float | None = None
    status: str | None = None

    @property
    def owed(self) -> float:
        """The hours still owed."""
        return round(max(0.0, self.hours - (self.achieved or 0.0)), 2)


@dataclass(frozen=True)
class CandidateAnswer:
    """A candidate: found (in the mirror or an evaluation checked), their name, unit name and rank (``rules``: the
    rules naming the rank's value), whether the name the list gave is theirs (None: the list gave none), each period
    checked, the make-up owed, and the verdict."""

    candidate: Candidate
    found: bool
    name: str | None = None
    unit_name: str | None = None
    rank: str | None = None
    rules: Rules | None = None
    name_matches: bool | None = None
    periods: list[PeriodAnswer] = field(default_factory=list)
    makeup: list[MakeUpAnswer] = field(default_factory=list)
    verdict: Verdict = "unknown"

    @property
    def cadre_id(self) -> str:
        return self.candidate.cadre_id


@dataclass(frozen=True)
class PromotionCheck:
    """The check as of a day: the periods checked (each with its latest evaluation, None: none) and the answers."""

    today: date
    periods: list[CheckedPeriod]
    evaluations: dict[str, Evaluation | None]
    candidates: list[CandidateAnswer]


def deadline(item: RequirementStanding, rules: Rules | None, checked: CheckedPeriod) -> date | None:
    """The last day a requirement could be met: its due day (a course list, a make-up); the period's last day for a
    period's hours; a window's last day; else what its flag's evidence says (None: not known)."""
    if item.due is not None:
        return item.due
    found = item.requirement
    if isinstance(found, MinHours | MinOnlineHours):
        return checked.last_day
    organisation = rules.organisation if rules else None
    if isinstance(found, Window) and organisation is not None:
        return last_day(period(found.start_year + found.years - 1, organisation).end, organisation)
    for flag in item.flags:
        due, window = flag.evidence.get("due"), flag.evidence.get("window")
        try:
            if isinstance(due, str):
                return date.fromisoformat(due)
            if isinstance(window, str) and organisation is not None:
                return last_day(period(window.rsplit("-", 1)[-1], organisation).end, organisation)
        except ValueError:
            return None
    if found is None and item.required is not None:  # a flag of hours, rules not kept: the period's
        return checked.last_day
    return None


def _requirement(item: RequirementStanding, file: CadreFile, checked: CheckedPeriod, final: bool) -> RequirementCheck:
    """How one requirement stands for a promotion: a flag by its own status; in an ended period's final evaluation,
    what nothing flagged by its figures (hours short are measured; anything else it raised nothing about is met)."""
    measured = item.required is not None and item.achieved is not None
    status = item.status
    if final and not item.flags and status == "on_track" and not measured:
        status = None  # evaluated at the period's end, not flagged, not measured here: the evaluation found it met
    late = bool(item.flags) and all(f.kind == COMPLETED_LATE for f in item.flags)
    due = deadline(item, file.rules, checked)
    return RequirementCheck(item, requirement_verdict(status, due, checked, file.evaluation.as_of, late), due)


def _period(checked: CheckedPeriod, current: Evaluation | None, file: CadreFile | None,
            certified: bool) -> PeriodAnswer:
    if current is None or file is None:
        return PeriodAnswer(checked, current, file, "unknown", certified=certified)
    result = file.result
    if result.status == "exempt":
        return PeriodAnswer(checked, current, file, "meets", certified=certified)
    if result.status == "suspended":
        return PeriodAnswer(checked, current, file, "unknown", certified=certified)
    final = current.as_of >= checked.last_day
    found = [_requirement(item, file, checked, final) for item in file.requirements]
    short = 0.0 if checked.current else shortfall(result.status, result.required_hours, result.hours)
    hours_known = any(r.standing.required is not None for r in found)
    short_missed = final and short > 0 and not hours_known  # the rules that judged are not kept: the hours tell
    verdicts: list[Standing] = [r.verdict for r in found] + (["missed"] if short_missed else [])
    if not final and not checked.current and result.status != "compliant":
        verdicts.append("unknown")  # what is not met as of an earlier day may have been met by the period's end
    return PeriodAnswer(checked, current, file, period_verdict(verdicts), found, short, short_missed, certified)


def _makeup(answer: PeriodAnswer, following: Callable[[], CadreFile | None]) -> MakeUpAnswer | None:
    """The make-up a period's shortfall owes, as the next period's file measures it (else as the rules say)."""
    if answer.file is None or answer.short <= 0:
        return None
    next_file = following()
    for item in next_file.requirements if next_file else []:
        if isinstance(item.requirement, MakeUp) and item.requirement.after == "shortfall" and \
                item.status != "not_applicable" and item.required:
            return MakeUpAnswer(answer.checked.label, item.required, item.due, item.achieved, item.status)
    rules = answer.file.rules
    due = makeup_due(rules, answer.file.result.groups, answer.checked.label) if rules else None
    return None if due is None else MakeUpAnswer(answer.checked.label, answer.short, due)


class _Files:
    """The candidates' training files, each read once: by period and cadre id (None: not in that evaluation)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.evaluations: dict[str, Evaluation | None] = {}
        self.files: dict[tuple[str, str], CadreFile | None] = {}

    def evaluation(self, label: str) -> Evaluation | None:
        if label not in self.evaluations:
            self.evaluations[label] = evaluation(self.connection, label)
        return self.evaluations[label]

    def file(self, label: str, cadre_id: str) -> CadreFile | None:
        if (label, cadre_id) not in self.files:
            found = None
            if self.evaluation(label) is not None:
                try:
                    found = cadre_file(self.connection, cadre_id, label)
                except KeyError:
                    found = None
            self.files[(label, cadre_id)] = found
        return self.files[(label, cadre_id)]


@dataclass(frozen=True)
class _Person:
    name: str
    rank: str | None


def _mirror(connection: Connection, cadre_ids: Sequence[str], rules: Rules) -> dict[str, _Person]:
    """The candidates the mirror holds (live users), named as the rules write names."""
    found: dict[str, _Person] = {}
    for only in where_in(mirror_users.c.cadre_id, list(cadre_ids)):
        for row in connection.execute(select(mirror_users).where(*only, mirror_users.c.gone_at.is_(None))
                                      .order_by(mirror_users.c.id)):
            found.setdefault(row.cadre_id, _Person(full_name(row.firstname, row.lastname, rules.cadres.name_order),
                                                   (row.profile or {}).get(rules.cadres.rank_field)))
    return found


def promotion_check(connection: Connection, candidates: Sequence[Candidate], rules: Rules,
                    today: date) -> PromotionCheck:
    """Each candidate over the periods ``rules.promotion`` names on ``today`` (the organisation's day); ``rules``:
    the rules file in force (its periods, its way of writing names)."""
    periods = checked_periods(rules.promotion, rules.organisation, today)
    files = _Files(connection)
    closed = closed_periods(connection)
    people = _mirror(connection, [c.cadre_id for c in candidates], rules)
    answers = []
    for candidate in candidates:
        found = [_period(p, files.evaluation(p.label), files.file(p.label, candidate.cadre_id), p.label in closed)
                 for p in periods]
        makeup = [m for answer in found if not answer.checked.current
                  if (m := _makeup(answer, partial(files.file, str(int(answer.checked.label) + 1),
                                                   candidate.cadre_id)))]
        newest = next((a.file for a in reversed(found) if a.file is not None), None)
        person = people.get(candidate.cadre_id)
        if newest is None and person is None:
            answers.append(CandidateAnswer(candidate, False))
            continue
        name = person.name if person else newest.result.name if newest else None
        answers.append(CandidateAnswer(
            candidate, True, name, newest.result.unit_name if newest else None,
            newest.rank if newest else person.rank if person else None, newest.rules if newest else rules,
            None if not candidate.name or not name else names_match(candidate.name, name), found, makeup,
            overall(a.verdict for a in found)))
    return PromotionCheck(today, periods, {p.label: files.evaluation(p.label) for p in periods}, answers)

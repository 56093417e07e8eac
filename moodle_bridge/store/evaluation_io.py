"""What an evaluation reads from the store and what it keeps there (loaders and writers of rules data).

Every function takes an open connection: the caller owns the transaction (an evaluation is whole or
absent). Loaders return the store's own plain records, or build the caller's facts with the
constructor it passes (``make``): the store knows nothing of the rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, insert, select, update

from .schema import (
    closing_differences,
    evaluation_flags,
    evaluation_results,
    evaluations,
    exemptions,
    mirror_categories,
    mirror_cohort_members,
    mirror_cohorts,
    mirror_completions,
    mirror_courses,
    mirror_grades,
    mirror_users,
    offline_records,
    period_closures,
    rules_files,
)

T = TypeVar("T")


# --- the mirror -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MirrorPerson:
    """A live mirrored user, with the live cohorts they belong to ((code, name) by cohort id)."""

    user_id: int
    firstname: str | None
    lastname: str | None
    department: str | None
    suspended: bool
    profile: Mapping[str, Any]
    cohorts: Sequence[tuple[str, str]]


def load_people(connection: Connection) -> list[MirrorPerson]:
    """Every live user, by id; a cohort's code is its idnumber, else its id."""
    cohorts = {r.id: (r.idnumber or str(r.id), r.name) for r in connection.execute(
        select(mirror_cohorts).where(mirror_cohorts.c.gone_at.is_(None)))}
    memberships: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for r in connection.execute(select(mirror_cohort_members).where(mirror_cohort_members.c.gone_at.is_(None))
                                .order_by(mirror_cohort_members.c.cohort_id)):
        if r.cohort_id in cohorts:
            memberships[r.user_id].append(cohorts[r.cohort_id])
    return [MirrorPerson(u.id, u.firstname, u.lastname, u.department, bool(u.suspended), u.profile or {},
                         memberships.get(u.id, []))
            for u in connection.execute(select(mirror_users).where(mirror_users.c.gone_at.is_(None))
                                        .order_by(mirror_users.c.id))]


CourseMaker = Callable[[int, str | None, str, str, str | None, str | None, float | None], T]


def load_courses(connection: Connection, make: CourseMaker[T]) -> dict[int, T]:
    """Live courses by id: make(id, idnumber, shortname, fullname, category idnumber, category name, hours)."""
    categories = {r.id: (r.idnumber, r.name) for r in connection.execute(select(mirror_categories))}
    return {r.id: make(r.id, r.idnumber, r.shortname, r.fullname, *categories.get(r.categoryid, (None, None)),
                       r.hours)
            for r in connection.execute(select(mirror_courses).where(mirror_courses.c.gone_at.is_(None)))}


def load_open_courses(connection: Connection, not_ended_at: int,
                      make: Callable[[int, int, int | None], T]) -> list[T]:
    """Live visible courses with no end date or one at or after ``not_ended_at`` (Unix seconds):
    make(id, start date, end date or None). Moodle writes 0 for a date a course does not have."""
    courses = mirror_courses.c
    return [make(r.id, r.startdate or 0, r.enddate or None) for r in connection.execute(
        select(courses.id, courses.startdate, courses.enddate).where(
            courses.gone_at.is_(None), courses.visible.is_(True),
            (courses.enddate == 0) | (courses.enddate >= not_ended_at)).order_by(courses.id))]


def load_completions(connection: Connection, first_user: int, last_user: int,
                     make: Callable[[int, int, int, float | None], T]) -> dict[int, list[T]]:
    """Completions of the users whose ids lie in [first_user, last_user], by user:
    make(user id, course id, time completed, final grade or None)."""
    grades = {(r.course_id, r.user_id): r.grade for r in connection.execute(
        select(mirror_grades.c.course_id, mirror_grades.c.user_id, mirror_grades.c.grade)
        .where(mirror_grades.c.gone_at.is_(None), mirror_grades.c.user_id.between(first_user, last_user)))}
    result: dict[int, list[T]] = defaultdict(list)
    for r in connection.execute(select(mirror_completions).where(
            mirror_completions.c.gone_at.is_(None), mirror_completions.c.user_id.between(first_user, last_user))):
        if r.time_completed is not None:
            result[r.user_id].append(make(r.user_id, r.course_id, r.time_completed,
                                          grades.get((r.course_id, r.user_id))))
    return result


# --- offline records and exemptions ---------------------------------------------------------------


OfflineMaker = Callable[[str, str, str, date, float | None, float | None, float, str], T]


def load_offline(connection: Connection, make: OfflineMaker[T]) -> dict[str, list[T]]:
    """Offline records not withdrawn, by cadre:
    make(source, cadre id, training, end, days, hours, leave hours, kind)."""
    result: dict[str, list[T]] = defaultdict(list)
    for r in connection.execute(select(offline_records).where(offline_records.c.withdrawn_at.is_(None))):
        result[r.cadre_id].append(make(f"offline:{r.id}", r.cadre_id, r.training, r.end, r.days, r.hours,
                                       r.leave_hours, r.kind or "offline"))
    return result


class ExemptionLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def cadre_id(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def start(self) -> date: ...
    @property
    def end(self) -> date: ...
    @property
    def effect(self) -> str: ...


def exemption_keys(connection: Connection) -> set[str]:
    """The keys of every exemption row, whatever its source (they share one key space)."""
    return {r.key for r in connection.execute(select(exemptions.c.key))}


def exemptions_from(connection: Connection, source: str) -> dict[str, bool]:
    """The rows of one source: key -> withdrawn."""
    return {r.key: r.withdrawn_at is not None
            for r in connection.execute(select(exemptions).where(exemptions.c.source == source))}


def add_exemptions(connection: Connection, rows: Sequence[ExemptionLike], source: str) -> None:
    if rows:
        now = datetime.now(UTC)
        connection.execute(insert(exemptions), [
            {"key": e.key, "cadre_id": e.cadre_id, "reason": e.reason, "start": e.start, "end": e.end,
             "effect": e.effect, "source": source, "created_at": now} for e in rows])


def set_exemptions_withdrawn(connection: Connection, keys: Iterable[str], withdrawn: bool) -> None:
    now = datetime.now(UTC)
    for key in keys:
        connection.execute(update(exemptions).where(exemptions.c.key == key).values(
            withdrawn_at=now if withdrawn else None))


def load_exemptions(connection: Connection, make: Callable[[str, str, date, date, str], T]) -> list[T]:
    """The exemptions in force (not withdrawn): make(cadre id, reason, from, to, effect)."""
    return [make(r.cadre_id, r.reason, r.start, r.end, r.effect)
            for r in connection.execute(select(exemptions).where(exemptions.c.withdrawn_at.is_(None)))]


# --- evaluations ----------------------------------------------------------------------------------


def closed_periods(connection: Connection) -> set[str]:
    return {r.period for r in connection.execute(select(period_closures.c.period))}


def create_evaluation(connection: Connection, label: str, as_of: date, rules_hash: str, exemptions_hash: str) -> int:
    key = connection.execute(insert(evaluations).values(
        period=label, as_of=as_of, rules_hash=rules_hash, exemptions_hash=exemptions_hash,
        created_at=datetime.now(UTC), counts={})).inserted_primary_key
    assert key is not None  # an insert of one row has its key
    return int(key[0])


def keep_rules_text(connection: Connection, rules_hash: str, text: str) -> None:
    """The rules file's text, by its hash, once: what a later report reads to name the requirements that judged."""
    if connection.execute(select(rules_files.c.rules_hash).where(rules_files.c.rules_hash == rules_hash)).first():
        return
    connection.execute(insert(rules_files).values(rules_hash=rules_hash, text=text, first_used_at=datetime.now(UTC)))


def finish_evaluation(connection: Connection, evaluation_id: int, counts: Mapping[str, int]) -> None:
    connection.execute(update(evaluations).where(evaluations.c.id == evaluation_id).values(counts=dict(counts)))


@dataclass(frozen=True)
class ResultRow:
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


@dataclass(frozen=True)
class FlagRow:
    cadre_id: str
    kind: str
    group_name: str
    rule: str
    evidence: dict[str, Any]  # JSON


def store_results(connection: Connection, evaluation_id: int, results: Sequence[ResultRow],
                  flags: Sequence[FlagRow]) -> None:
    if results:
        connection.execute(insert(evaluation_results), [
            {"evaluation_id": evaluation_id, "cadre_id": r.cadre_id, "user_id": r.user_id, "name": r.name,
             "unit_code": r.unit_code, "unit_name": r.unit_name, "groups": r.groups, "status": r.status,
             "hours_online": r.hours_online, "hours_offline": r.hours_offline, "required_hours": r.required_hours}
            for r in results])
    if flags:
        connection.execute(insert(evaluation_flags), [
            {"evaluation_id": evaluation_id, "cadre_id": f.cadre_id, "kind": f.kind, "group_name": f.group_name,
             "rule": f.rule, "evidence": f.evidence} for f in flags])


# --- differences in closed periods ----------------------------------------------------------------


class DifferenceLike(Protocol):
    @property
    def period(self) -> str: ...
    @property
    def cadre_id(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def certified_hours(self) -> float: ...
    @property
    def new_hours(self) -> float: ...
    @property
    def new_online(self) -> bool: ...
    @property
    def new_earned_at(self) -> int: ...


def report_differences(connection: Connection, differences: Sequence[DifferenceLike]) -> int:
    """Record differences not yet known. A difference already pending or rejected is not reported
    again (an accepted one is in the ledger); a newer one for the same source supersedes a pending one."""
    known = {(r.period, r.cadre_id, r.source, r.new_hours): r.state for r in connection.execute(
        select(closing_differences).where(closing_differences.c.state.in_(("pending", "rejected"))))}
    fresh = [d for d in differences if (d.period, d.cadre_id, d.source, d.new_hours) not in known]
    if fresh:
        now = datetime.now(UTC)
        for d in fresh:
            connection.execute(update(closing_differences).where(
                closing_differences.c.period == d.period, closing_differences.c.cadre_id == d.cadre_id,
                closing_differences.c.source == d.source, closing_differences.c.state == "pending",
            ).values(state="superseded", decided_at=now))
        connection.execute(insert(closing_differences), [
            {"period": d.period, "cadre_id": d.cadre_id, "source": d.source, "certified_hours": d.certified_hours,
             "new_hours": d.new_hours, "new_online": d.new_online, "new_earned_at": d.new_earned_at,
             "found_at": now, "state": "pending"} for d in fresh])
    return len(fresh)

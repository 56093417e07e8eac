"""What an evaluation reads from the store and what it keeps there (loaders and writers of rules data).

Every function takes an open connection: the caller owns the transaction (an evaluation is whole or
absent). Loaders return the store's own plain records, or build the caller's facts with the
constructor it passes (``make``): the store knows nothing of the rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Table, delete, insert, select, update

from .batches import id_batches, where_in
from .bulk import insert_rows
from .schema import (
    OPEN,
    cadre_changes,
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


def load_people(connection: Connection, user_ids: Iterable[int] | None = None) -> list[MirrorPerson]:
    """Every live user (or those of ``user_ids``), by id; a cohort's code is its idnumber, else its id."""
    cohorts = {r.id: (r.idnumber or str(r.id), r.name) for r in connection.execute(
        select(mirror_cohorts).where(mirror_cohorts.c.gone_at.is_(None)))}
    members, users = mirror_cohort_members.c, mirror_users.c
    people: list[MirrorPerson] = []
    for batch in [None] if user_ids is None else id_batches(user_ids):
        member_of = [] if batch is None else [members.user_id.in_(batch)]
        one_of = [] if batch is None else [users.id.in_(batch)]
        memberships: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for r in connection.execute(select(mirror_cohort_members).where(members.gone_at.is_(None), *member_of)
                                    .order_by(members.cohort_id)):
            if r.cohort_id in cohorts:
                memberships[r.user_id].append(cohorts[r.cohort_id])
        people += [MirrorPerson(u.id, u.firstname, u.lastname, u.department, bool(u.suspended), u.profile or {},
                                memberships.get(u.id, []))
                   for u in connection.execute(select(mirror_users).where(users.gone_at.is_(None), *one_of)
                                               .order_by(users.id))]
    return people


def claimants(connection: Connection, field: str, cadre_ids: Set[str]) -> set[int]:
    """The live users whose profile field ``field`` holds one of ``cadre_ids`` (a whole pass over the users: only
    when a cadre id lost the user who held it)."""
    return {r.id for r in connection.execute(select(mirror_users.c.id, mirror_users.c.profile).where(
        mirror_users.c.gone_at.is_(None))) if (r.profile or {}).get(field) in cadre_ids}


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


def load_completions(connection: Connection, user_ids: Sequence[int],
                     make: Callable[[int, int, int, float | None], T]) -> dict[int, list[T]]:
    """Completions of the users of ``user_ids`` (sorted), by user:
    make(user id, course id, time completed, final grade or None). Read by the range of their ids when they fill
    most of it (one index range), by lists of ids when they are scattered."""
    if not user_ids:
        return {}
    first, last = user_ids[0], user_ids[-1]
    wanted = set(user_ids)
    dense = len(user_ids) * 2 >= last - first + 1
    result: dict[int, list[tuple[int, T]]] = defaultdict(list)
    for batch in [None] if dense else id_batches(user_ids):
        graded, completed = mirror_grades.c.user_id, mirror_completions.c.user_id
        graded_by = graded.between(first, last) if batch is None else graded.in_(batch)
        completed_by = completed.between(first, last) if batch is None else completed.in_(batch)
        grades = {(r.course_id, r.user_id): r.grade for r in connection.execute(
            select(mirror_grades.c.course_id, mirror_grades.c.user_id, mirror_grades.c.grade)
            .where(mirror_grades.c.gone_at.is_(None), graded_by))}
        for r in connection.execute(select(mirror_completions).where(
                mirror_completions.c.gone_at.is_(None), completed_by)):
            if r.time_completed is not None and r.user_id in wanted:
                result[r.user_id].append((r.course_id, make(r.user_id, r.course_id, r.time_completed,
                                                            grades.get((r.course_id, r.user_id)))))
    # in course order, however the database returned them: a cadre's facts are the same whichever way they were read
    return {user: [made for _course, made in sorted(rows, key=lambda row: row[0])] for user, rows in result.items()}


# --- offline records and exemptions ---------------------------------------------------------------


OfflineMaker = Callable[[str, str, str, date, float | None, float | None, float, str], T]


def load_offline(connection: Connection, make: OfflineMaker[T],
                 cadre_ids: Iterable[str] | None = None) -> dict[str, list[T]]:
    """Offline records not withdrawn (of every cadre, or of ``cadre_ids``), by cadre:
    make(source, cadre id, training, end, days, hours, leave hours, kind)."""
    result: dict[str, list[T]] = defaultdict(list)
    for only in where_in(offline_records.c.cadre_id, cadre_ids):
        for r in connection.execute(select(offline_records).where(offline_records.c.withdrawn_at.is_(None), *only)
                                    .order_by(offline_records.c.id)):
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


@dataclass(frozen=True)
class Changes:
    """Whose facts changed (by Moodle user, by cadre id) since an evaluation last took the changes."""

    users: set[int]
    cadres: set[str]


def take_changes(connection: Connection) -> Changes:
    """The changes the store's triggers recorded, taken (deleted) in one statement: a change another transaction
    commits meanwhile stays for the next evaluation. Rolled back with the evaluation if it fails."""
    users: set[int] = set()
    cadres: set[str] = set()
    for r in connection.execute(delete(cadre_changes).returning(cadre_changes.c.user_id, cadre_changes.c.cadre_id)):
        if r.user_id is not None:
            users.add(r.user_id)
        if r.cadre_id is not None:
            cadres.add(r.cadre_id)
    return Changes(users, cadres)


def clear_changes(connection: Connection) -> None:
    """Forget the changes recorded so far (an evaluation that judges every cadre needs none of them)."""
    connection.execute(delete(cadre_changes))


def create_evaluation(connection: Connection, label: str, as_of: date, rules_hash: str, exemptions_hash: str,
                      context_hash: str | None = None) -> int:
    key = connection.execute(insert(evaluations).values(
        period=label, as_of=as_of, rules_hash=rules_hash, exemptions_hash=exemptions_hash,
        context_hash=context_hash, created_at=datetime.now(UTC), counts={})).inserted_primary_key
    assert key is not None  # an insert of one row has its key
    return int(key[0])


def keep_rules_text(connection: Connection, rules_hash: str, text: str) -> None:
    """The rules file's text, by its hash, once: what a later report reads to name the requirements that judged."""
    if connection.execute(select(rules_files.c.rules_hash).where(rules_files.c.rules_hash == rules_hash)).first():
        return
    connection.execute(insert(rules_files).values(rules_hash=rules_hash, text=text, first_used_at=datetime.now(UTC)))


def finish_evaluation(connection: Connection, evaluation_id: int, counts: Mapping[str, int],
                      judged: int | None = None, flags: int | None = None, tallied: bool | None = None) -> None:
    connection.execute(update(evaluations).where(evaluations.c.id == evaluation_id).values(
        counts=dict(counts), judged=judged, flags=flags, tallied=tallied))


# --- which results an evaluation keeps, which it judges again -------------------------------------


def _holding(table: Table, label: str) -> list[Any]:
    return [table.c.period == label, table.c.until_evaluation == OPEN]


def _held_pairs(connection: Connection, label: str, column: str, ids: Iterable[Any]) -> dict[int, str]:
    """(user id, cadre id) of the period's results that still hold, whose ``column`` is one of ``ids``."""
    found: dict[int, str] = {}
    for only in where_in(evaluation_results.c[column], ids):
        found.update((r.user_id, r.cadre_id) for r in connection.execute(
            select(evaluation_results.c.user_id, evaluation_results.c.cadre_id).where(
                *_holding(evaluation_results, label), *only)))
    return found


def held_users(connection: Connection, label: str, cadre_ids: Iterable[str]) -> dict[int, str]:
    """The users of the period's results that still hold for these cadre ids: user id -> cadre id."""
    return _held_pairs(connection, label, "cadre_id", cadre_ids)


def held_cadre_ids(connection: Connection, label: str, user_ids: Iterable[int]) -> dict[int, str]:
    """The cadre ids of the period's results that still hold for these users: user id -> cadre id."""
    return _held_pairs(connection, label, "user_id", user_ids)


def held_in_groups(connection: Connection, label: str, groups: Set[str]) -> set[int]:
    """The users whose results of the period still hold and name one of ``groups``."""
    return {r.user_id for r in connection.execute(select(evaluation_results.c.user_id, evaluation_results.c.groups)
                                                  .where(*_holding(evaluation_results, label)))
            if not groups.isdisjoint(r.groups)}


def due_for_recheck(connection: Connection, label: str, as_of_end: int) -> set[int]:
    """The users whose results hold no longer at ``as_of_end``: a pace lost, a due date passed since."""
    return {r.user_id for r in connection.execute(select(evaluation_results.c.user_id).where(
        *_holding(evaluation_results, label), evaluation_results.c.recheck_at < as_of_end))}


def supersede(connection: Connection, evaluation_id: int, label: str, cadre_ids: Iterable[str] | None) -> None:
    """The period's results (and flags) of these cadres (every cadre, when None) hold until ``evaluation_id``."""
    for table in (evaluation_results, evaluation_flags):
        for only in where_in(table.c.cadre_id, cadre_ids):
            connection.execute(update(table).where(*_holding(table, label), *only)
                               .values(until_evaluation=evaluation_id))


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
    recheck_at: int | None = None
    flags: int = 0  # how many it raised


@dataclass(frozen=True)
class FlagRow:
    cadre_id: str
    kind: str
    group_name: str
    rule: str
    evidence: dict[str, Any]  # JSON


def store_results(connection: Connection, evaluation_id: int, label: str, results: Sequence[ResultRow],
                  flags: Sequence[FlagRow]) -> None:
    """The results an evaluation judged, holding from it on (``supersede`` ended the ones they replace)."""
    if results:
        insert_rows(connection, evaluation_results, [
            {"since_evaluation": evaluation_id, "until_evaluation": OPEN, "period": label, "cadre_id": r.cadre_id,
             "user_id": r.user_id, "name": r.name, "unit_code": r.unit_code, "unit_name": r.unit_name,
             "groups": r.groups, "status": r.status, "hours_online": r.hours_online, "hours_offline": r.hours_offline,
             "required_hours": r.required_hours, "recheck_at": r.recheck_at, "flags": r.flags}
            for r in results])
    if flags:
        insert_rows(connection, evaluation_flags, [
            {"since_evaluation": evaluation_id, "until_evaluation": OPEN, "period": label, "cadre_id": f.cadre_id,
             "kind": f.kind, "group_name": f.group_name, "rule": f.rule, "evidence": f.evidence} for f in flags])


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

"""Questions about the mirror asked by more than one caller (the sync's steps, doctor).

Reads only; every function takes an open connection, so a dry run's reads see its own writes.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, func, select

from .diff import Row
from .schema import mirror_cohort_members, mirror_courses, mirror_enrolments, mirror_users


def live_courses(connection: Connection) -> list[Row]:
    """Courses the mirror holds (not gone), by id."""
    rows = connection.execute(select(mirror_courses).where(mirror_courses.c.gone_at.is_(None))
                              .order_by(mirror_courses.c.id))
    return [dict(r._mapping) for r in rows]


def active_learners(connection: Connection, course_ids: Iterable[int]) -> dict[int, list[int]]:
    """Active enrolments (not gone) of the given courses: user ids by course, in id order."""
    learners: dict[int, list[int]] = {course_id: [] for course_id in course_ids}
    for r in connection.execute(select(mirror_enrolments.c.course_id, mirror_enrolments.c.user_id).where(
            mirror_enrolments.c.status == "active", mirror_enrolments.c.gone_at.is_(None))
            .order_by(mirror_enrolments.c.course_id, mirror_enrolments.c.user_id)):
        if r.course_id in learners:
            learners[r.course_id].append(r.user_id)
    return learners


def any_enrolments(connection: Connection) -> bool:
    """Whether a sync has mirrored enrolments yet (gone ones count: the mirror has been filled)."""
    return connection.execute(select(mirror_enrolments.c.course_id).limit(1)).first() is not None


def inactive_enrolments(connection: Connection, completion_enabled_only: bool = False) -> int:
    """Inactive enrolments (suspended, ended, not yet started) in courses the mirror holds.

    What the API roads cannot read: Moodle's completion status and grade report answer only for
    active enrolments. ``completion_enabled_only``: in courses that track completion (completions
    are read there only).
    """
    query = (select(func.count()).select_from(mirror_enrolments.join(
        mirror_courses, mirror_courses.c.id == mirror_enrolments.c.course_id)).where(
        mirror_enrolments.c.status == "inactive", mirror_enrolments.c.gone_at.is_(None),
        mirror_courses.c.gone_at.is_(None)))
    if completion_enabled_only:
        query = query.where(mirror_courses.c.completion_enabled.is_(True))
    return int(connection.execute(query).scalar() or 0)


def cohort_member_ids(connection: Connection) -> set[int]:
    """Users in any cohort (membership not gone)."""
    return {r.user_id for r in connection.execute(
        select(mirror_cohort_members.c.user_id).where(mirror_cohort_members.c.gone_at.is_(None)))}


def enrolled_user_ids(connection: Connection) -> set[int]:
    """Users with any enrolment (not gone), whatever its status."""
    return {r.user_id for r in connection.execute(
        select(mirror_enrolments.c.user_id).where(mirror_enrolments.c.gone_at.is_(None)))}


def live_user_ids(connection: Connection) -> set[int]:
    """Users the mirror holds (not gone)."""
    return {r.id for r in connection.execute(select(mirror_users.c.id).where(mirror_users.c.gone_at.is_(None)))}


def live_user_idnumbers(connection: Connection) -> list[tuple[int, str]]:
    """(id, ID number) of users the mirror holds that have an ID number; an ID number may repeat."""
    return [(r.id, r.idnumber) for r in connection.execute(
        select(mirror_users.c.id, mirror_users.c.idnumber)
        .where(mirror_users.c.gone_at.is_(None), mirror_users.c.idnumber.is_not(None)))]


def enrolments_per_course(connection: Connection) -> dict[int, int]:
    """Enrolments (not gone) per course id: how many rows a course has in the completions report."""
    return {r.course_id: int(r.n) for r in connection.execute(
        select(mirror_enrolments.c.course_id, func.count().label("n"))
        .where(mirror_enrolments.c.gone_at.is_(None)).group_by(mirror_enrolments.c.course_id))}

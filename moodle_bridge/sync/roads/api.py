"""Roads 2 and 3: enrolments course by course, then one completion status call per active learner,
batched ("batch") or one per request ("per_enrolment").

Moodle answers completion status for active enrolments only: a suspended or ended one is
"unknown, keep the last known value", never "not completed".
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import Connection

from ...i18n import N_
from ...moodle import MoodleError
from ...moodle.models import EnrolledUser
from ...store import mirror, mirror_reads
from ...store.diff import Changes, Key, Row, diff
from ...store.schema import mirror_completions, mirror_enrolments
from ..calls import UNKNOWN, active_and_suspended, completion_calls
from ..entities import grades, users
from ..entities.enrolments import unenrolled
from ..runner import Partition, Run
from .base import Road

Groups = tuple[list[EnrolledUser], list[EnrolledUser]]  # a course's students: active, not active
Answers = tuple[list[int], list[Any]]  # the learners asked about, Moodle's answer (or error) for each


class ApiRoad(Road):
    def __init__(self, name: str) -> None:
        self.name = name

    def read(self, run: Run) -> None:
        if run.options.wants("enrolments"):
            run.guard("enrolments", lambda: sync_enrolments(run))
        if run.options.wants("users"):
            run.guard("users", lambda: users.sync(run, idnumbers=[], scope_enrolled=True))
        if run.options.wants("completions"):
            run.guard("completions", lambda: sync_completions(run, self.name))

    def cannot_see(self, entity: str) -> bool:
        return entity in ("completions", "grades")


# --- enrolments ----------------------------------------------------------------------------------


def sync_enrolments(run: Run) -> None:
    with run.connection() as connection:
        courses = [c["id"] for c in mirror_reads.live_courses(connection)]
    run.progress.start("enrolments", len(courses))
    run.partitions("enrolments", [
        Partition(f"course:{cid}", partial(active_and_suspended, run.client, cid), partial(_apply_enrolments, cid))
        for cid in courses])


def _apply_enrolments(course_id: int, connection: Connection, data: Groups) -> dict[str, Changes]:
    active, inactive = data
    fresh = {(course_id, u.id): {"course_id": course_id, "user_id": u.id, "status": status,
                                 "timestart": None, "timeend": None}
             for status, group in (("inactive", inactive), ("active", active)) for u in group}
    changes = {"enrolments": mirror.refresh(connection, mirror_enrolments, fresh, "unenrolled",
                                            scope={"course_id": course_id})}
    existing = mirror.load(connection, mirror_completions, course_id=course_id)
    changes["completions"] = unenrolled(connection, existing, changes["enrolments"].gone)
    grades.mark_due(connection, course_id, changes)
    return changes


# --- completions ---------------------------------------------------------------------------------


def sync_completions(run: Run, road: str) -> None:
    with run.connection() as connection:  # read here: fetches run on other threads
        courses = [c["id"] for c in mirror_reads.live_courses(connection) if c["completion_enabled"]]
        learners = mirror_reads.active_learners(connection, courses)
    run.progress.start("completions", len(learners))
    run.partitions("completions", [
        Partition(f"course:{cid}", partial(_fetch_completions, run, cid, who),
                  partial(_apply_completions, run, road, cid))
        for cid, who in learners.items()])


def _fetch_completions(run: Run, course_id: int, learners: list[int]) -> Answers:
    return learners, completion_calls(run, course_id, learners)


def _apply_completions(run: Run, road: str, course_id: int, connection: Connection,
                       data: Answers) -> dict[str, Changes]:
    learners, answers = data
    fresh: dict[Key, Row] = {}
    resets: list[Key] = []
    for user_id, answer in zip(learners, answers, strict=False):
        if isinstance(answer, UNKNOWN):
            run.summary.oddities[N_("completions unknown (enrolment no longer active)")] += 1
        elif isinstance(answer, MoodleError):
            raise answer
        elif answer.completionstatus.completed:
            fresh[(course_id, user_id)] = {"course_id": course_id, "user_id": user_id,
                                           "time_completed": answer.completionstatus.time_completed,
                                           "precision": "second", "road": road}
        else:
            resets.append((course_id, user_id))
    existing = mirror.load(connection, mirror_completions, course_id=course_id)
    changes = diff(existing, fresh, gone_candidates=resets)
    mirror.apply(connection, mirror_completions, changes, "reset")
    result = {"completions": changes}
    grades.mark_due(connection, course_id, result)
    return result

"""Activity completions (optional: the rules need course completion only), per active learner.

A learner whose enrolment is no longer active is unknown (kept as last known); an activity read
as not complete is reset.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import Connection

from ...moodle import MoodleError
from ...store import mirror, mirror_reads
from ...store.diff import Changes, Key, Row, diff
from ...store.schema import mirror_activity_completions
from ..calls import UNKNOWN, completion_calls
from ..runner import Partition, Run

FUNCTION = "core_completion_get_activities_completion_status"
Answers = tuple[list[int], list[Any]]  # the learners asked about, Moodle's answer (or error) for each


def sync(run: Run) -> None:
    with run.connection() as connection:  # read here: fetches run on other threads
        courses = [c["id"] for c in mirror_reads.live_courses(connection) if c["completion_enabled"]]
        learners = mirror_reads.active_learners(connection, courses)
    run.progress.start("activity_completions", len(learners))
    run.partitions("activity_completions", [
        Partition(f"course:{cid}", partial(_fetch, run, cid, who), partial(_apply, cid))
        for cid, who in learners.items()])


def _fetch(run: Run, course_id: int, learners: list[int]) -> Answers:
    return learners, completion_calls(run, course_id, learners, FUNCTION)


def _apply(course_id: int, connection: Connection, data: Answers) -> dict[str, Changes]:
    learners, answers = data
    fresh: dict[Key, Row] = {}
    resets: list[Key] = []
    for user_id, answer in zip(learners, answers, strict=False):
        if isinstance(answer, UNKNOWN):
            continue  # keep the last known
        if isinstance(answer, MoodleError):
            raise answer
        for status in answer.statuses:
            key = (course_id, user_id, status.cmid)
            if status.state > 0:
                fresh[key] = {"course_id": course_id, "user_id": user_id, "cmid": status.cmid,
                              "modname": status.modname, "state": status.state,
                              "time_completed": status.timecompleted or None}
            else:
                resets.append(key)
    existing = mirror.load(connection, mirror_activity_completions, course_id=course_id)
    changes = diff(existing, fresh, gone_candidates=resets)
    mirror.apply(connection, mirror_activity_completions, changes, "reset")
    return {"activity_completions": changes}

"""Moodle calls more than one step makes: students of a course, completion status per learner."""

from __future__ import annotations

from typing import Any

from ..moodle import Call, MoodleClient, MoodleError, NotFound, UserNotEnrolled
from ..moodle.models import EnrolledUser
from .runner import Run

STUDENT = "student"
# Answers that leave a learner's state unknown (keep the last known): an enrolment no longer
# active (suspended, expired) or a user deleted while the run reads.
UNKNOWN = (UserNotEnrolled, NotFound)


def _user_fields() -> dict[str, Any]:
    return {"name": "userfields", "value": "id,roles"}  # roles: to keep students only


def students(users: list[EnrolledUser]) -> list[EnrolledUser]:
    return [u for u in users if any(r.shortname == STUDENT for r in u.roles)]


def enrolled_students(client: MoodleClient, course_id: int, option: str | None = None) -> list[EnrolledUser]:
    """A course's students; ``option``: one of Moodle's filters ("onlyactive", "onlysuspended")."""
    options: list[dict[str, Any]] = [_user_fields()]
    if option is not None:
        options.append({"name": option, "value": 1})
    return students(client.call("core_enrol_get_enrolled_users", courseid=course_id, options=options))


def active_and_suspended(client: MoodleClient, course_id: int) -> tuple[list[EnrolledUser], list[EnrolledUser]]:
    """A course's students in two lists, active and not, read in parallel."""
    answers = client.call_many([
        Call("core_enrol_get_enrolled_users",
             {"courseid": course_id, "options": [_user_fields(), {"name": which, "value": 1}]})
        for which in ("onlyactive", "onlysuspended")])
    groups: list[list[EnrolledUser]] = []
    for answer in answers:
        if isinstance(answer, MoodleError):
            raise answer
        groups.append(students(answer))
    return groups[0], groups[1]


def completion_calls(run: Run, course_id: int, user_ids: list[int],
                     function: str = "core_completion_get_course_completion_status") -> list[Any]:
    """One call per learner, batched when the road allows; a failure comes back as its error."""
    calls = [Call(function, {"courseid": course_id, "userid": u}) for u in user_ids]
    if run.batched:
        return run.client.call_batched(calls)
    return run.client.call_many(calls)

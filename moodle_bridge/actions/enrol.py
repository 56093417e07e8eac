"""Enrol cadres in the required courses the rules say they lack.

Lacking means: flagged with a flag its requirement kind says names courses to enrol in
(``Kind.enrolling_flags``: a required course or reading), and no enrolment at all in it. A
suspended enrolment is not lacking: it is left alone and reported. Moodle confirms an enrolment
with nothing (`null`), so `--apply` reads each course's participants back and logs an enrolment it
cannot see as unconfirmed, never as done.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from .. import results
from ..moodle import Call, MoodleClient, MoodleError
from ..rules.kinds import UNITS, unit_for_flag
from ..store.schema import action_log, mirror_enrolments
from . import ActionRow, acting_client, record

STUDENT_ROLE = 5


@dataclass(frozen=True)
class Planned:
    cadre_id: str
    user_id: int
    course_id: int
    status: str  # planned, or skipped (with why)
    why: str = ""


def plan(engine: Engine) -> list[Planned]:
    enrolling = {flag for unit in UNITS for flag in unit.enrolling_flags}
    with engine.connect() as connection:
        flagged = results.flags_for_actions(connection, enrolling)
        if not flagged:
            return []
        enrolled = {(r.course_id, r.user_id): r.status for r in connection.execute(
            select(mirror_enrolments).where(mirror_enrolments.c.gone_at.is_(None)))}
        done = {(r.user_id, r.target) for r in connection.execute(
            select(action_log).where(action_log.c.action == "enrol", action_log.c.status == "done"))}
    users = {c.result.cadre_id: c.result.user_id for c in flagged}
    wanted: set[tuple[str, int]] = set()
    for cadre in flagged:
        for flag in cadre.flags:
            unit = unit_for_flag(flag.kind)
            if unit is not None:
                wanted.update((cadre.result.cadre_id, course_id)
                              for course_id in unit.courses_to_enrol(unit.evidence.from_json(flag.evidence)))
    plans = []
    for cadre_id, course_id in sorted(wanted):
        user_id = users[cadre_id]
        state = enrolled.get((course_id, user_id))
        if state == "inactive":
            plans.append(Planned(cadre_id, user_id, course_id, "skipped", "suspended or expired enrolment: left alone"))
        elif state == "active" or (user_id, f"course:{course_id}") in done:
            continue  # enrolled already (the next sync shows it)
        else:
            plans.append(Planned(cadre_id, user_id, course_id, "planned"))
    return plans


def apply(engine: Engine, client: MoodleClient | None, plans: list[Planned], dry_run: bool,
          batch: int = 50) -> list[ActionRow]:
    """Log every plan; with dry_run False, enrol, read back and log what Moodle confirms.

    ``client`` may be None for a dry run only."""
    outcomes: list[ActionRow] = []
    todo = [p for p in plans if p.status == "planned"]
    confirmed: dict[int, set[int]] = {}
    errors: dict[tuple[int, int], str] = {}
    if not dry_run and todo:
        moodle = acting_client(client)
        for start in range(0, len(todo), batch):
            chunk = todo[start:start + batch]
            try:
                moodle.call("enrol_manual_enrol_users", enrolments=[
                    {"roleid": STUDENT_ROLE, "userid": p.user_id, "courseid": p.course_id} for p in chunk])
            except MoodleError as exc:
                errors.update({(p.course_id, p.user_id): str(exc) for p in chunk})
        by_course = defaultdict(list)
        for p in todo:
            by_course[p.course_id].append(p)
        reads = moodle.call_many([Call("core_enrol_get_enrolled_users", {"courseid": c, "options": [
            {"name": "userfields", "value": "id"}]}) for c in by_course])
        for course_id, answer in zip(by_course, reads, strict=False):
            confirmed[course_id] = set() if isinstance(answer, MoodleError) else {u.id for u in answer}
    now = datetime.now(UTC)
    for p in plans:
        if p.status == "skipped":
            status, detail = "skipped", {"why": p.why}
        elif dry_run:
            status, detail = "planned", {}
        elif (p.course_id, p.user_id) in errors:
            status, detail = "failed", {"error": errors[(p.course_id, p.user_id)]}
        elif p.user_id in confirmed.get(p.course_id, set()):
            status, detail = "done", {"moodle": "null (confirmed by reading the participants back)"}
        else:
            status, detail = "unconfirmed", {"moodle": "null, and the participants list does not show it"}
        outcomes.append({"action": "enrol", "cadre_id": p.cadre_id, "user_id": p.user_id,
                         "target": f"course:{p.course_id}", "status": status, "dry_run": dry_run,
                         "detail": detail, "created_at": now})
    return record(engine, outcomes)

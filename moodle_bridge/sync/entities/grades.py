"""Final grades, course by course: re-read where something changed, and at least every
``grades_max_age_days``; a full run reads every course.

Steps that change a course's enrolments or completions mark its grades due (``mark_due``). The
report road may bring grades itself (its Grade column): this step is then skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from sqlalchemy import Connection

from ...i18n import N_
from ...moodle.models import GradeItemsReport
from ...store import mirror, mirror_reads
from ...store.diff import Changes, Key, Row
from ...store.schema import mirror_enrolments, mirror_grades
from ..rows import grade_row
from ..runner import Partition, Run

DAY = 86400


def mark_due(connection: Connection, course_id: int, changes: dict[str, Changes]) -> None:
    """Something changed in the course: read its grades in the next grades step."""
    if any(not c.empty for c in changes.values()):
        mirror.set_state(connection, "grades_due", str(course_id), True)


def sync(run: Run) -> None:
    now = datetime.now(UTC).timestamp()
    max_age = run.settings.sync.grades_max_age_days * DAY
    with run.connection() as connection:
        courses = mirror_reads.live_courses(connection)
        due = [c["id"] for c in courses if run.options.full
               or mirror.get_state(connection, "grades_due", str(c["id"]))
               or now - (mirror.get_state(connection, "grades_read", str(c["id"])) or 0) > max_age]
    run.progress.start("grades", len(due))
    run.partitions("grades", [
        Partition(f"course:{cid}", partial(_fetch, run, cid), partial(_apply, run, cid, now)) for cid in due])


def _fetch(run: Run, course_id: int) -> GradeItemsReport:
    report: GradeItemsReport = run.client.call("gradereport_user_get_grade_items", courseid=course_id)
    return report


def _apply(run: Run, course_id: int, now: float, connection: Connection,
           report: GradeItemsReport) -> dict[str, Changes]:
    enrolled = set(mirror.load(connection, mirror_enrolments, course_id=course_id, gone_at=None))
    fresh: dict[Key, Row] = {}
    ungraded: list[Key] = []
    for usergrades in report.usergrades:
        key = (course_id, usergrades.userid)
        if key not in enrolled or usergrades.course_total is None:  # known enrolments only
            continue
        row = grade_row(usergrades)
        if row is None:
            ungraded.append(key)
        else:
            fresh[key] = row
    run.summary.oddities[N_("learners without a final grade yet")] += len(ungraded)
    # Listed without a grade proves there is none; a learner missing from the list (suspended
    # since) proves nothing: last known kept.
    changes = mirror.refresh(connection, mirror_grades, fresh, "reset", scope={"course_id": course_id},
                             gone_candidates=ungraded)
    mirror.set_state(connection, "grades_read", str(course_id), now)
    mirror.set_state(connection, "grades_due", str(course_id), False)
    return {"grades": changes}

"""Courses: a small set, read whole; a course absent from the read is gone. The site course is not one."""

from __future__ import annotations

from sqlalchemy import Connection

from ...i18n import N_
from ...moodle.models import Course
from ...store import mirror
from ...store.diff import Changes
from ...store.schema import mirror_courses
from ..rows import course_row, has_markup
from ..runner import Partition, Run


def sync(run: Run) -> None:
    run.progress.start("courses", 1)
    s, oddities = run.settings.sync, run.summary.oddities

    def apply(connection: Connection, courses: list[Course]) -> dict[str, Changes]:
        real = [c for c in courses if not c.is_site]
        fresh = {c.id: course_row(c, s.hours_field, s.training_type_field) for c in real}
        oddities[N_("courses without completion tracking")] += sum(1 for c in real if not c.enablecompletion)
        oddities[N_("courses with HTML in the name")] += sum(1 for c in real if has_markup(c.fullname))
        oddities[N_("courses without class hours")] += sum(1 for row in fresh.values() if row["hours"] is None)
        return {"courses": mirror.refresh(connection, mirror_courses, fresh, "deleted")}

    run.partition("courses", Partition("all", lambda: run.client.call("core_course_get_courses"), apply))

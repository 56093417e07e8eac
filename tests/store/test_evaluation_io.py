"""What an evaluation reads of the mirror for remedies: the courses open on the evaluation day (SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from moodle_bridge.rules.facts import OpenCourse
from moodle_bridge.store import connect, evaluation_io, upgrade
from moodle_bridge.store.schema import mirror_courses

DAY = 1_780_000_000  # the evaluation day's start (Unix seconds)


def _course(course_id: int, visible: bool = True, start: int = 0, end: int = 0, gone: bool = False) -> dict:
    return {"id": course_id, "shortname": f"c{course_id}", "fullname": f"Course {course_id}", "idnumber": None,
            "categoryid": 1, "visible": visible, "startdate": start, "enddate": end, "completion_enabled": True,
            "gone_at": datetime.now(UTC) if gone else None}


def test_open_courses_are_the_visible_live_ones_not_ended_on_the_day(db_url):
    engine = connect(db_url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(mirror_courses.insert(), [
            _course(1), _course(2, start=DAY + 86400, end=DAY + 90 * 86400), _course(3, end=DAY),
            _course(4, end=DAY - 1), _course(5, visible=False), _course(6, gone=True)])
        found = evaluation_io.load_open_courses(connection, DAY, OpenCourse)
    engine.dispose()
    # no end date (0) is open; ending on the day itself is still open; ended the day before, hidden, gone are not
    assert found == [OpenCourse(1, 0, None), OpenCourse(2, DAY + 86400, DAY + 90 * 86400), OpenCourse(3, 0, DAY)]

"""The mirror questions the sync and doctor share, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from moodle_bridge.store import connect, mirror_reads, upgrade
from moodle_bridge.store.schema import mirror_courses, mirror_enrolments


def _course(course_id: int, completion: bool, gone: bool = False) -> dict:
    return {"id": course_id, "shortname": f"c{course_id}", "fullname": f"Course {course_id}", "idnumber": None,
            "categoryid": 1, "visible": True, "startdate": 0, "enddate": 0, "completion_enabled": completion,
            "gone_at": datetime.now(UTC) if gone else None}


def _enrolment(course_id: int, user_id: int, status: str, gone: bool = False) -> dict:
    return {"course_id": course_id, "user_id": user_id, "status": status, "timestart": None, "timeend": None,
            "gone_at": datetime.now(UTC) if gone else None}


def test_inactive_enrolments_count_live_ones_in_live_courses(db_url):
    engine = connect(db_url)
    upgrade(engine)
    with engine.begin() as connection:
        assert not mirror_reads.any_enrolments(connection)
        connection.execute(mirror_courses.insert(), [_course(1, True), _course(2, False), _course(3, True, gone=True)])
        connection.execute(mirror_enrolments.insert(), [
            _enrolment(1, 10, "inactive"), _enrolment(1, 11, "active"), _enrolment(1, 12, "inactive", gone=True),
            _enrolment(2, 10, "inactive"), _enrolment(3, 10, "inactive")])
        assert mirror_reads.any_enrolments(connection)
        assert mirror_reads.inactive_enrolments(connection) == 2  # courses 1 and 2; course 3 is gone
        assert mirror_reads.inactive_enrolments(connection, completion_enabled_only=True) == 1
        assert mirror_reads.active_learners(connection, [1, 2]) == {1: [11], 2: []}
    engine.dispose()

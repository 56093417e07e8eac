"""Enrolments are read by the completion road (``sync/roads/``); what goes with a removed
enrolment is the same on every road, and lives here."""

from __future__ import annotations

from sqlalchemy import Connection

from ...store import mirror
from ...store.diff import Changes, Key, Row
from ...store.schema import mirror_activity_completions, mirror_completions, mirror_grades


def unenrolled(connection: Connection, completions: dict[Key, Row], gone_enrolments: list[Key]) -> Changes:
    """A removed enrolment takes its completion and grade out of what Moodle reports.

    ``completions``: the course's mirrored completions; the changes to them are returned, the
    grades' and activity completions' are applied only."""
    gone_set = set(gone_enrolments)
    changes = Changes(gone=[k for k, row in completions.items() if k in gone_set and row["gone_at"] is None])
    mirror.apply(connection, mirror_completions, changes, "unenrolled")
    grades = mirror.load_pairs(connection, mirror_grades, gone_enrolments)
    mirror.apply(connection, mirror_grades, Changes(gone=[k for k, r in grades.items() if r["gone_at"] is None]),
                 "unenrolled")
    for course_id in {c for c, _u in gone_set}:
        activities = mirror.load(connection, mirror_activity_completions, course_id=course_id, gone_at=None)
        mirror.apply(connection, mirror_activity_completions,
                     Changes(gone=[k for k in activities if k[:2] in gone_set]), "unenrolled")
    return changes

"""The calendar events moodle_bridge created in Moodle (``calendar_events``, migration 0018): read, kept, forgotten.

A row with ``event_id`` ``PENDING`` (0: Moodle's ids start at 1) is an intent: committed before Moodle is asked to
create the event, replaced by the event's id when Moodle answers; one left behind is a create whose outcome is
unknown (actions/calendar.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, delete, insert, select

from .schema import calendar_events

PENDING = 0


@dataclass(frozen=True)
class EventRow:
    course_id: int
    group_name: str
    kind: str
    event_id: int
    rule: str
    due: date
    timestart: int
    name: str
    description: str


def kept_events(connection: Connection) -> list[EventRow]:
    return [EventRow(r.course_id, r.group_name, r.kind, r.event_id, r.rule, r.due, r.timestart, r.name,
                     r.description)
            for r in connection.execute(select(calendar_events).order_by(
                calendar_events.c.course_id, calendar_events.c.group_name, calendar_events.c.kind))]


def keep_event(connection: Connection, row: EventRow, at: datetime) -> None:
    """Moodle created it, or is about to be asked to (``PENDING``): keep it (replacing any row of its key)."""
    forget_event(connection, row.course_id, row.group_name, row.kind)
    connection.execute(insert(calendar_events).values(
        course_id=row.course_id, group_name=row.group_name, kind=row.kind, event_id=row.event_id, rule=row.rule,
        due=row.due, timestart=row.timestart, name=row.name, description=row.description, created_at=at))


def forget_event(connection: Connection, course_id: int, group_name: str, kind: str) -> None:
    """Moodle no longer holds it."""
    c = calendar_events.c
    connection.execute(delete(calendar_events).where(c.course_id == course_id, c.group_name == group_name,
                                                     c.kind == kind))

"""``core_calendar_create_calendar_events``: the events Moodle created, and a warning for each it refused."""

from __future__ import annotations

from ._base import MoodleModel, Warning


class CalendarEvent(MoodleModel):
    """One created event (calendar/externallib.php ``create_calendar_events_returns``).

    ``userid`` is always the caller: Moodle sets it to ``$USER->id`` whatever the event type."""

    ignored_keys = frozenset({"format", "groupid", "modulename", "instance", "visible", "uuid", "sequence",
                              "subscriptionid", "repeatid"})

    id: int
    name: str
    description: str | None = None
    courseid: int
    userid: int
    eventtype: str
    timestart: int
    timeduration: int
    timemodified: int


class CreatedEvents(MoodleModel):
    """The events created, in the order asked, less those refused (each refusal a warning naming the event)."""

    events: list[CalendarEvent]
    warnings: list[Warning] = []

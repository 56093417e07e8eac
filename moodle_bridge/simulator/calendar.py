"""Moodle's calendar events, as a real Moodle 5.1 creates, deletes and shows them.

Read from Moodle's source (repository moodle/moodle, the 4.x line 5.1 continues) and held to the lab's recording of
``core_calendar_create_calendar_events`` (a course event created by the integration user):

- ``calendar/externallib.php`` ``create_calendar_events``: in one transaction, each event gets the caller as its
  ``userid`` (whatever its type: a ``user`` event lands in the caller's own calendar, never a cadre's), an empty
  ``modulename``, instance 0, no subscription, an empty uuid; ``calendar_add_event_allowed`` refused is a warning
  (``nopermissions``, the event's name as the item) and the event is skipped; the answer lists the events created
  in the recorded key order.
- ``calendar/lib.php`` ``calendar_add_event_allowed``: ``moodle/calendar:manageentries`` at system level allows
  every type; else a course event needs it in the course, a user event of one's own
  ``moodle/calendar:manageownentries`` (the authenticated user's), a site event manageentries on the front page.
  (Course-level role overrides and group events are not simulated: nobody here holds them.)
- ``delete_calendar_events``: one transaction; an event id that does not exist is ``calendar_event::load``'s
  ``$DB->get_record('event', ..., MUST_EXIST)``: a read by table name, so ``dml_missing_record_exception`` answers
  ``invalidrecord`` ("...in database table event.", ``lib/dml/moodle_database.php`` ``get_record_select`` gives
  the table; ``invalidrecordunknown`` is for a read by SQL with no table), nothing deleted;
  ``calendar_delete_event_allowed`` refused is ``nopermissions`` ("Delete event"), nothing deleted; ``repeat``
  deletes the whole series; the answer is null.
- Who sees an event (``calendar_get_default_courses`` / ``calendar_view_event_allowed``): a site event everyone, a
  course event the course's participants with an active enrolment in a visible course (and a holder of
  manageentries), a user event its user alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .data import SITE_COURSE_ID, Site
from .protocol import Args, Context, JsonObject, SimError, handler

MANAGEENTRIES = "moodle/calendar:manageentries"
MANAGEOWNENTRIES = "moodle/calendar:manageownentries"
ADMIN_ID = 2


@dataclass
class Event:
    """A row of Moodle's ``event`` table, as far as these functions read and write it."""

    id: int
    name: str
    description: str | None
    format: int
    courseid: int
    groupid: int
    userid: int
    eventtype: str
    timestart: int
    timeduration: int
    visible: int
    sequence: int
    timemodified: int
    repeatid: int = 0

    def answer(self) -> JsonObject:
        """As ``create_calendar_events`` answers it: the recorded keys, in the recorded order."""
        return {"id": self.id, "name": self.name, "description": self.description, "format": self.format,
                "courseid": self.courseid, "groupid": self.groupid, "userid": self.userid, "modulename": "",
                "instance": 0, "eventtype": self.eventtype, "timestart": self.timestart,
                "timeduration": self.timeduration, "visible": self.visible, "uuid": "", "sequence": self.sequence,
                "timemodified": self.timemodified, "subscriptionid": None}


@dataclass
class Calendar:
    """The site's events, and who holds the calendar capabilities at system level."""

    events: dict[int, Event] = field(default_factory=dict)
    last_id: int = 0
    # moodle/calendar:manageentries at system level: the administrator and the integration user's role (README).
    managers: set[int] = field(default_factory=set)

    def seen_by(self, site: Site, userid: int) -> list[Event]:
        """The events in that user's calendar, by start."""
        def sees(event: Event) -> bool:
            if event.eventtype == "site" or event.courseid == SITE_COURSE_ID:
                return True
            if event.eventtype == "user":
                return event.userid == userid
            course = site.courses.get(event.courseid)
            enrolment = site.enrolments.get((event.courseid, userid))
            return userid in self.managers or bool(course is not None and course.visible and enrolment is not None
                                                    and enrolment.active_at(site.now))
        return sorted((e for e in self.events.values() if sees(e)), key=lambda e: (e.timestart, e.id))


def calendar(site: Site) -> Calendar:
    """The site's calendar, made on first use."""
    state = site.__dict__.get("_calendar")
    if state is None:
        state = site.__dict__["_calendar"] = Calendar(managers={ADMIN_ID, site.integration_user_id})
    return state


def _may_add(state: Calendar, caller: int, eventtype: str, userid: int) -> bool:
    if caller in state.managers:
        return True
    if eventtype == "user":
        return userid == caller  # manageownentries: the authenticated user's role allows it
    return False


@handler("core_calendar_create_calendar_events")
def create_events(ctx: Context, args: Args) -> JsonObject:
    state, site, caller = calendar(ctx.site), ctx.site, ctx.caller.userid
    made: list[Event] = []
    warnings: list[JsonObject] = []
    for item in args["events"]:
        eventtype = item["eventtype"]
        courseid = item["courseid"]
        if eventtype == "site":
            courseid = SITE_COURSE_ID
        elif eventtype == "user":
            courseid = 0
        if eventtype in ("course", "group") and courseid not in site.courses:
            # The course's context, MUST_EXIST: nothing created (as the recorded answers for an unknown course in
            # other functions, tests/fixtures/moodle/errors/nonexistent_course_*.json).
            raise SimError("invalidrecordunknown", "Can't find data record in database.",
                           "dml_missing_record_exception")
        if not ctx.caller.capable or not _may_add(state, caller, eventtype, caller):
            warnings.append({"item": item["name"], "warningcode": "nopermissions",
                             "message": "you do not have permissions to create this event"})
            continue
        made.append(Event(0, item["name"], item.get("description"), int(item.get("format") or 1), courseid,
                          item["groupid"] if eventtype == "group" else 0, caller, eventtype, item["timestart"],
                          item["timeduration"], item["visible"], item["sequence"], site.now))
    for event in made:  # the transaction commits: ids are given in order
        state.last_id += 1
        event.id = state.last_id
        state.events[event.id] = event
    return {"events": [e.answer() for e in made], "warnings": warnings}


@handler("core_calendar_delete_calendar_events")
def delete_events(ctx: Context, args: Args) -> None:
    state, caller = calendar(ctx.site), ctx.caller.userid
    doomed: set[int] = set()
    for item in args["events"]:
        event = state.events.get(item["eventid"])
        if event is None:  # calendar_event::load: get_record('event', ..., MUST_EXIST)
            raise SimError("invalidrecord", "Can't find data record in database table event.",
                           "dml_missing_record_exception")
        if not ctx.caller.capable or not (caller in state.managers or (event.eventtype == "user"
                                                                       and event.userid == caller)):
            raise SimError("nopermissions", "Sorry, but you do not currently have permissions to do that "
                           "(Delete event).", "core\\exception\\moodle_exception")
        series = event.repeatid if item["repeat"] and event.repeatid else None
        doomed |= {e.id for e in state.events.values() if e.repeatid == series} if series else {event.id}
    for eventid in doomed:  # the transaction commits
        del state.events[eventid]
    return None

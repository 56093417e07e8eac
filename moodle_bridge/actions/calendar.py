"""Required courses' and required reading's due dates in the cadres' Moodle calendars (``moodle-bridge calendar``).

Whose calendar (Moodle's source, ``calendar/externallib.php`` and ``calendar/lib.php``): ``core_calendar_create_
calendar_events`` makes every event the caller's (``userid = $USER->id``), so a *user* event would land in the
integration user's own calendar, never a cadre's; no web service writes into another user's calendar. A *course*
event is shown to the course's participants. So each due date is a course event in the required course itself:
the cadres concerned are its participants (``enrol-required`` enrols those who lack it), and the event names the
group it is for. One event per course and requirement (a rules group's required courses or reading): created while
some cadre of the group still owes it by that course, moved when the due date moves, reworded when its words change,
deleted when every cadre concerned has passed it (completed and not failed, as the evaluation and the reminders
count it) or the requirement is lifted. Moving and rewording delete the
event and create it again: Moodle's web services offer no update of a course event but a form submission
(``core_calendar_submit_create_update_form``) or a day shift that keeps the time of day
(``core_calendar_update_event_start_day``), neither in the service the README describes.

The events wanted are read from the latest evaluation (its cadres, their groups and statuses), the rules that judged
it and the mirror's courses and completions; the planner (``calendar_plan.plan``) is pure; a dry run logs the plan,
``--apply`` acts and keeps each event Moodle created (``calendar_events``).

Never twice, never lost: before Moodle is asked to create an event, the intent (a pending row of its key, event id 0)
is committed on its own; Moodle's answer replaces it with the event's id, and an answer that proves nothing was
created (Moodle's own error, a refusal, a request never sent) removes it. A pending row left behind (a read timeout,
a lost connection, a crash, a failed store write) means the create's outcome is unknown: the service holds no
function to read events back, so the next run creates the event again ("unconfirmed"), and at most one duplicate
may be left in Moodle, recognisable by the marker every event's description carries (``marker``: an HTML comment
naming its key). A kept event Moodle no longer has (deleted by hand, its course deleted) is forgotten: Moodle's
delete reads the event with ``MUST_EXIST`` by table name, and answers ``invalidrecord`` (``NotFound``).
"""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from .. import results
from ..i18n import _, day_words, translated
from ..moodle import MoodleClient, MoodleError
from ..moodle.errors import MoodleAPIError, MoodleConnectionError, NotFound, SiteMaintenance, WebServicesUnavailable
from ..moodle.models.calendar import CreatedEvents
from ..reports.names import COURSE_LISTS, group_label
from ..results.standing import passed_courses
from ..rules.credits import selects
from ..rules.facts import CompletionFact, CourseFacts
from ..rules.kinds.required_courses import CourseList, courses_met
from ..rules.periods import day_end, period
from ..store.calendar_events import PENDING, EventRow, forget_event, keep_event, kept_events
from ..store.evaluation_io import load_completions, load_courses
from . import ActionRow, acting_client, record
from .calendar_plan import EventKey, KeptEvent, Step, WantedEvent, plan

ACTION = "calendar"
NOT_OWING = ("exempt", "suspended")  # their own status: the evaluation asks nothing of them
NAME_LENGTH = 255  # Moodle's event.name column


def marker(key: EventKey) -> str:
    """What every event's description starts with: an HTML comment naming its key, the same on every run (cadres do
    not see it; an administrator finds moodle_bridge's events, and any duplicate, by it in Moodle's event table)."""
    return "<!-- moodle_bridge {} -->".format(key.target.replace("--", "- -"))


def _texts(key: EventKey, group: str, course: str, due_words: str) -> tuple[str, str]:
    """The event's name and its description (HTML, after the marker), in the current language."""
    name = _("Due {day}: {course} ({group})").format(day=due_words, course=course, group=group)
    what = translated(COURSE_LISTS.get(key.kind, key.kind))
    description = marker(key) + "<p>{}</p><p>{}</p>".format(
        html.escape(_("{what} for {group}: complete this course by {day}, as the organisation department's "
                      "training rules require.").format(what=what, group=group, day=due_words)),
        html.escape(_("If you have completed it, there is nothing more to do.")))
    return name[:NAME_LENGTH], description


def wanted(engine: Engine) -> tuple[list[WantedEvent], set[EventKey]] | None:
    """The events some cadre needs, and the keys no cadre owes any more; None when it cannot be told (no evaluation,
    or rules this version cannot read): then nothing is created or deleted."""
    with engine.connect() as connection:
        latest = results.evaluation(connection)
        if latest is None:
            return None
        rules = results.judged_rules(connection, latest.rules_hash)
        if rules is None:
            return None
        found = results.results_by_cadre(connection, latest.id)
        courses = load_courses(connection, CourseFacts)
        lists = [(name, index, requirement) for name, group in rules.groups.items()
                 for index, requirement in enumerate(group.requirements) if isinstance(requirement, CourseList)]
        listed = {name for name, _i, _r in lists}
        members: dict[str, list[int]] = {}
        for result in found.values():
            if result.status not in NOT_OWING:
                for name in result.groups:
                    if name in listed:
                        members.setdefault(name, []).append(result.user_id)
        users = sorted({u for ids in members.values() for u in ids})
        completions = load_completions(connection, users, CompletionFact)
    span = period(latest.period, rules.organisation)
    # Done: completed and not failed, as the evaluation and the reminders count a course (results.standing).
    done = {(u, c) for u in users for c in passed_courses(completions.get(u, []), courses, rules)}
    events: dict[EventKey, WantedEvent] = {}
    met: set[EventKey] = set()
    for name, index, requirement in lists:
        due_end = day_end(requirement.due, rules.organisation)
        if not span.start < due_end <= span.end:
            continue  # due in another period: asks nothing now (lifted)
        chosen = [c for c in courses.values() if any(selects(s, c) for s in requirement.courses)]
        owing = [u for u in members.get(name, [])
                 if not courses_met(requirement, chosen, [c for c in chosen if (u, c.id) in done])]
        label = group_label(rules, name)
        for course in sorted(chosen, key=lambda c: c.id):
            key = EventKey(course.id, name, requirement.kind)
            cadres = sum(1 for u in owing if (u, course.id) not in done)
            if not cadres:
                met.add(key)
            elif key not in events:  # two lists of one kind naming one course: the first one's due date
                event_name, description = _texts(key, label, course.fullname, day_words(requirement.due))
                events[key] = WantedEvent(key, f"groups.{name}.requirements[{index}]", requirement.due,
                                          due_end - 60, event_name, description, cadres)
    return list(events.values()), met - set(events)


def steps(engine: Engine) -> list[Step]:
    """What to create, update and delete now (nothing when the events wanted cannot be told)."""
    found = wanted(engine)
    if found is None:
        return []
    events, met = found
    with engine.connect() as connection:
        kept = [KeptEvent(EventKey(r.course_id, r.group_name, r.kind), r.event_id, r.due, r.timestart, r.name,
                          r.description) for r in kept_events(connection)]
    return plan(events, kept, met)


def _detail(step: Step) -> dict[str, Any]:
    detail: dict[str, Any] = {"op": step.op, "why": step.why, "course_id": step.key.course_id,
                              "group": step.key.group, "kind": step.key.kind}
    if step.wanted is not None:
        detail.update(due=step.wanted.due.isoformat(), name=step.wanted.name, cadres=step.wanted.cadres)
    if step.kept is not None:
        detail.update(event_id=step.kept.event_id, kept_due=step.kept.due.isoformat())
    return detail


def _delete(engine: Engine, moodle: MoodleClient, step: Step) -> tuple[str, dict[str, Any]]:
    assert step.kept is not None
    try:
        moodle.call("core_calendar_delete_calendar_events", events=[{"eventid": step.kept.event_id, "repeat": 0}])
        said = "deleted"
    except NotFound:  # invalidrecord (the event table's MUST_EXIST read): deleted by hand, or its course deleted
        said = "already gone in Moodle"
    except MoodleError as exc:
        return "failed", {"error": str(exc), "errorcode": exc.errorcode}
    with engine.begin() as connection:
        forget_event(connection, step.key.course_id, step.key.group, step.key.kind)
    return "done", {"moodle": said}


def _forget(engine: Engine, key: EventKey) -> None:
    with engine.begin() as connection:
        forget_event(connection, key.course_id, key.group, key.kind)


def _nothing_created(exc: MoodleError) -> bool:
    """Whether the failure proves Moodle created nothing: its own error answer (the create is one transaction), or
    a request refused before Moodle ran it, or never sent. A timeout, a dropped connection or an odd answer prove
    nothing."""
    if isinstance(exc, MoodleConnectionError):
        return exc.never_sent
    return isinstance(exc, MoodleAPIError | WebServicesUnavailable | SiteMaintenance)


def _create(engine: Engine, moodle: MoodleClient, step: Step, now: datetime) -> tuple[str, dict[str, Any]]:
    event = step.wanted
    assert event is not None
    row = EventRow(event.key.course_id, event.key.group, event.key.kind, PENDING, event.rule, event.due,
                   event.timestart, event.name, event.description)
    with engine.begin() as connection:  # the intent, committed before Moodle is asked
        keep_event(connection, row, now)
    try:
        answer: CreatedEvents = moodle.call("core_calendar_create_calendar_events", events=[{
            "name": event.name, "description": event.description, "format": 1, "courseid": event.key.course_id,
            "eventtype": "course", "timestart": event.timestart, "timeduration": 0, "visible": 1}])
    except MoodleError as exc:
        known = _nothing_created(exc)
        if known:
            _forget(engine, event.key)
        return "failed", {"error": str(exc), "errorcode": exc.errorcode,
                          "outcome": "nothing created" if known else "unknown"}
    if not answer.events:  # refused: a warning says why (nopermissions: the role lacks calendar:manageentries)
        _forget(engine, event.key)
        return "failed", {"error": "; ".join(w.message for w in answer.warnings) or "Moodle created no event",
                          "errorcode": answer.warnings[0].warningcode if answer.warnings else None}
    made = answer.events[0]
    with engine.begin() as connection:
        keep_event(connection, replace(row, event_id=made.id), now)
    return "done", {"event_id": made.id}


def apply(engine: Engine, client: MoodleClient | None, planned: list[Step], dry_run: bool) -> list[ActionRow]:
    """Log every step; with dry_run False, act on Moodle one event at a time and keep what it created.

    An update deletes the event and creates it again; when Moodle refuses the second half, the event is gone from
    Moodle and from the store, and the next run creates it. A pending row (a create whose outcome is unknown) has
    nothing to delete: it is created again, or forgotten. ``client`` may be None for a dry run only."""
    now = datetime.now(UTC)
    outcomes: list[ActionRow] = []
    for step in planned:
        detail = _detail(step)
        status = "planned"
        if not dry_run:
            moodle = acting_client(client)
            if step.kept is None:
                status, said = "done", {}
            elif step.kept.pending:  # the last create's outcome is unknown: no event id to delete
                _forget(engine, step.key)
                status, said = "done", {"moodle": "create unconfirmed, nothing to delete"}
            else:
                status, said = _delete(engine, moodle, step)
            detail.update(said)
            if status == "done" and step.wanted is not None:
                status, said = _create(engine, moodle, step, now)
                detail.update(said)
        outcomes.append({"action": ACTION, "cadre_id": "", "user_id": 0, "target": step.key.target,
                         "status": status, "dry_run": dry_run, "detail": detail, "created_at": now})
    return record(engine, outcomes)

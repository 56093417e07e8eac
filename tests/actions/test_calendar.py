"""Due dates in Moodle's calendars against the simulator: created, moved when the due date moves, removed when met or
lifted, never twice; a dry run first; every write in the action log."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import responses
from sqlalchemy import create_engine, select

from moodle_bridge.actions import calendar as events
from moodle_bridge.moodle import MoodleClient, RetryPolicy
from moodle_bridge.moodle.errors import MoodleTimeout
from moodle_bridge.simulator.calendar import calendar
from moodle_bridge.store.schema import action_log, calendar_events, mirror_grades
from tests.cli.test_rules import invoke, site_dir  # noqa: F401 - the fixture
from tests.conftest import FIXTURES

REQUIRED_COURSE = "CT2026-PT26-001"
ZONE = ZoneInfo("Asia/Shanghai")
RECORDED = json.loads((FIXTURES / "core_calendar_create_calendar_events.json").read_text())["response"]["events"][0]


def _apply(moodle, runner):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        moodle.mount(mock)
        return invoke(runner, "calendar", "--apply")


def _events_in(moodle, course: int):
    return [e for e in calendar(moodle.site).events.values() if e.courseid == course]


def _store(path: Path):
    return create_engine(f"sqlite:///{path}/store.db")


def test_events_are_created_moved_and_removed_when_met_or_lifted(site_dir):  # noqa: F811
    path, moodle, runner = site_dir
    site = moodle.site
    course = next(c.id for c in site.courses.values() if c.idnumber == REQUIRED_COURSE)
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-03-02")

    dry = invoke(runner, "calendar")
    assert "planned (dry run)" in dry and "Dry run: nothing was sent" in dry
    assert not calendar(site).events and moodle.requests_made("core_calendar_create_calendar_events") == 0

    _apply(moodle, runner)
    (event,) = _events_in(moodle, course)
    assert datetime.fromtimestamp(event.timestart, ZONE).isoformat() == "2026-06-30T23:59:00+08:00"
    assert event.eventtype == "course" and event.userid == site.integration_user_id
    assert "30 June 2026" in event.name and "Township/section level and below" in event.name
    reading = {e.id for e in calendar(site).events.values() if e.courseid != course}
    assert reading  # the required reading's courses, due 31 December
    learner = next(u for (c, u), e in site.enrolments.items() if c == course and e.active_at(site.now))
    assert event.id in {e.id for e in calendar(site).seen_by(site, learner)}  # in the participant's calendar
    # Moodle's answer, as the client read it, has the shape of the real recorded one (tests/simulator too).
    assert set(vars(event)) - {"repeatid"} <= set(RECORDED)

    before = moodle.requests_made("core_calendar_create_calendar_events")
    again = _apply(moodle, runner)
    assert moodle.requests_made("core_calendar_create_calendar_events") == before  # never twice
    assert "Nothing to change" in again and len(_events_in(moodle, course)) == 1

    rules = path / "rules.yaml"  # the due date moves: the event moves with it (one event still)
    rules.write_text(rules.read_text().replace('due: "2026-06-30"', 'due: "2026-07-31"'))
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-03-02")
    assert "done" in _apply(moodle, runner)
    (moved,) = _events_in(moodle, course)
    assert datetime.fromtimestamp(moved.timestart, ZONE).date().isoformat() == "2026-07-31"
    assert event.id not in calendar(site).events
    with _store(path).connect() as connection:
        kept = connection.execute(select(calendar_events).where(calendar_events.c.course_id == course)).one()
    assert (kept.event_id, kept.due.isoformat()) == (moved.id, "2026-07-31")

    # Met: every cadre of the group completes the course (enrolled first where not), the mirror and an evaluation
    # see it, and the event goes.
    ranks = {"section_chief", "deputy_section_chief", "staff", "village_cadre"}
    for user in site.users.values():
        if user.idnumber and user.profile.get("rank") in ranks and not user.suspended:
            if (course, user.id) not in site.enrolments:
                site.enrol(course, user.id)
            site.suspend_enrolment(course, user.id, suspended=False)
            site.complete(course, user.id, site.now - 3600)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        moodle.mount(mock)
        invoke(runner, "sync", "--full")
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-03-03")
    _apply(moodle, runner)
    assert _events_in(moodle, course) == []

    # Lifted: the required reading leaves the rules, and its events leave the calendars.
    text = rules.read_text()
    start = text.index("      - kind: required_reading")
    end = text.index("      - {kind: makeup, after: promotion", start)
    rules.write_text(text[:start] + text[end:])
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-03-03")
    _apply(moodle, runner)
    assert not calendar(site).events

    with _store(path).connect() as connection:
        logged = connection.execute(select(action_log).where(action_log.c.action == "calendar")).fetchall()
        assert connection.execute(select(calendar_events)).fetchall() == []
    applied = [r for r in logged if not r.dry_run]
    whys = {(r.detail["op"], r.detail["why"]) for r in applied}
    assert {("create", "owed"), ("update", "moved"), ("delete", "met"), ("delete", "lifted")} <= whys
    assert all(r.status == "done" for r in applied)
    creates = sum(1 for r in applied if r.detail["op"] in ("create", "update"))
    assert creates == moodle.requests_made("core_calendar_create_calendar_events")  # every write logged
    deletes = sum(1 for r in applied if r.detail["op"] in ("update", "delete"))
    assert deletes == moodle.requests_made("core_calendar_delete_calendar_events")


def test_an_event_deleted_by_hand_is_forgotten_and_the_moved_one_created(site_dir):  # noqa: F811
    """Moodle's delete reads the event by table name (invalidrecord): already gone, so the row is forgotten and the
    moved event is created, on the first run after, not failed for ever."""
    path, moodle, runner = site_dir
    site = moodle.site
    course = next(c.id for c in site.courses.values() if c.idnumber == REQUIRED_COURSE)
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-03-02")
    _apply(moodle, runner)
    (event,) = _events_in(moodle, course)
    del calendar(site).events[event.id]  # someone deletes it in Moodle
    rules = path / "rules.yaml"
    rules.write_text(rules.read_text().replace('due: "2026-06-30"', 'due: "2026-07-31"'))
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-03-02")
    _apply(moodle, runner)
    (moved,) = _events_in(moodle, course)
    assert datetime.fromtimestamp(moved.timestart, ZONE).date().isoformat() == "2026-07-31"
    with _store(path).connect() as connection:
        kept = connection.execute(select(calendar_events).where(calendar_events.c.course_id == course)).one()
        (logged,) = [r for r in connection.execute(select(action_log).where(action_log.c.action == "calendar"))
                     if not r.dry_run and r.detail["why"] == "moved"]
    assert kept.event_id == moved.id
    assert logged.status == "done" and logged.detail["moodle"] == "already gone in Moodle"
    assert "Nothing to change" in _apply(moodle, runner)  # and nothing fails on the next run


class _LostAnswer:
    """A client whose create answers are lost on the way back (a read timeout): Moodle created the events."""

    def __init__(self, real):
        self.real = real

    def call(self, function, **arguments):
        answer = self.real.call(function, **arguments)
        if function == "core_calendar_create_calendar_events":
            raise MoodleTimeout("Read timed out", function=function)
        return answer


def test_a_create_whose_answer_is_lost_is_recorded_first_and_made_again_at_most_once(site_dir):  # noqa: F811
    """The intent is committed before Moodle is asked; a timed-out create leaves it pending, and the next run creates
    the event again (no function in the service reads events back): one duplicate, found by its marker."""
    path, moodle, runner = site_dir
    site = moodle.site
    course = next(c.id for c in site.courses.values() if c.idnumber == REQUIRED_COURSE)
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-03-02")
    engine = _store(path)
    steps = [s for s in events.steps(engine) if s.key.course_id == course]
    client = MoodleClient(moodle.siteurl, "simulated-token", retry=RetryPolicy(attempts=1), sleep=lambda s: None)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        moodle.mount(mock)
        (lost,) = events.apply(engine, _LostAnswer(client), steps, dry_run=False)
    assert lost["status"] == "failed" and lost["detail"]["outcome"] == "unknown"
    with engine.connect() as connection:
        (pending,) = connection.execute(select(calendar_events).where(calendar_events.c.course_id == course))
    assert pending.event_id == 0  # the intent, kept: the outcome is unknown
    (first,) = _events_in(moodle, course)
    marker = events.marker(steps[0].key)
    assert marker == f"<!-- moodle_bridge calendar:{course}:township_and_below:required_courses -->"
    assert first.description.startswith(marker)

    again = [s for s in events.steps(engine) if s.key.course_id == course]
    assert [(s.op, s.why) for s in again] == [("create", "unconfirmed")]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        moodle.mount(mock)
        (made,) = events.apply(engine, client, again, dry_run=False)
    assert made["status"] == "done"
    assert sorted(e.description for e in _events_in(moodle, course)) == [first.description] * 2  # the duplicate
    with engine.connect() as connection:
        (kept,) = connection.execute(select(calendar_events).where(calendar_events.c.course_id == course))
    assert kept.event_id == made["detail"]["event_id"] != first.id
    assert [s for s in events.steps(engine) if s.key.course_id == course] == []  # never a third


def test_a_refused_create_leaves_no_pending_row(site_dir):  # noqa: F811
    path, moodle, runner = site_dir
    site = moodle.site
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-03-02")
    calendar(site).managers.discard(site.integration_user_id)  # Moodle answers: a warning, nothing created
    _apply(moodle, runner)
    assert not calendar(site).events
    with _store(path).connect() as connection:
        assert connection.execute(select(calendar_events)).fetchall() == []


def test_a_failed_completion_still_owes_the_course(site_dir):  # noqa: F811
    """Done means completed and passed, as the evaluation and the reminders count it (results.standing)."""
    path, moodle, runner = site_dir
    site = moodle.site
    course = next(c.id for c in site.courses.values() if c.idnumber == REQUIRED_COURSE)
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-03-02")
    _apply(moodle, runner)
    ranks = {"section_chief", "deputy_section_chief", "staff", "village_cadre"}
    cadres = sorted(u.id for u in site.users.values()
                    if u.idnumber and u.profile.get("rank") in ranks and not u.suspended)
    for user in cadres:
        if (course, user) not in site.enrolments:
            site.enrol(course, user)
        site.suspend_enrolment(course, user, suspended=False)
        site.complete(course, user, site.now - 3600, grade=40.0 if user == cadres[0] else 80.0)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        moodle.mount(mock)
        invoke(runner, "sync", "--full")
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-03-03")
    with _store(path).connect() as connection:
        (grade,) = connection.execute(select(mirror_grades.c.grade).where(
            mirror_grades.c.course_id == course, mirror_grades.c.user_id == cadres[0])).one()
    assert grade == 40.0  # below the rules' pass_grade (60): completed, failed
    found = events.wanted(_store(path))
    assert found is not None
    (owed,) = [e for e in found[0] if e.key.course_id == course]
    assert owed.cadres == 1
    _apply(moodle, runner)
    assert len(_events_in(moodle, course)) == 1  # still in the calendar

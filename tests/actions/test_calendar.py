"""Due dates in Moodle's calendars against the simulator: created, moved when the due date moves, removed when met or
lifted, never twice; a dry run first; every write in the action log."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import responses
from sqlalchemy import create_engine, select

from moodle_bridge.simulator.calendar import calendar
from moodle_bridge.store.schema import action_log, calendar_events
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

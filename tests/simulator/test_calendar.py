"""The simulated calendar against a real Moodle's answer and Moodle's source (simulator/calendar.py)."""

from __future__ import annotations

import json

from moodle_bridge.moodle._encoding import encode_call
from moodle_bridge.simulator.calendar import calendar
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle
from tests.conftest import FIXTURES

TOKEN = "simulated-token"
RECORDED = json.loads((FIXTURES / "core_calendar_create_calendar_events.json").read_text())


def _shape(value):
    """Keys and types, recursively (bool before int: Python's bool is an int)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def _call(sim, function, **arguments):
    status, _headers, body = sim.handle(encode_call(function, arguments, TOKEN))
    assert status == 200
    return json.loads(body) if body else None


def test_the_create_answer_has_the_recorded_answers_shape():
    """The recorded call sent as it was: the same keys in the same order, the same types, the caller as userid."""
    sim = SimulatedMoodle(generate("small"), token=TOKEN)
    params = {**RECORDED["params"], "wstoken": TOKEN}
    status, _headers, body = sim.handle(list(params.items()))
    answer = json.loads(body)
    recorded = RECORDED["response"]
    assert status == RECORDED["http_status"] == 200
    assert _shape(answer) == _shape(recorded)
    assert [list(e) for e in answer["events"]] == [list(e) for e in recorded["events"]]  # key order too
    made, expected = answer["events"][0], recorded["events"][0]
    for key in ("name", "description", "format", "courseid", "groupid", "modulename", "instance", "eventtype",
                "timestart", "timeduration", "visible", "uuid", "sequence", "subscriptionid"):
        assert made[key] == expected[key], key
    assert made["userid"] == sim.site.integration_user_id == expected["userid"]  # $USER, whatever was asked
    assert calendar(sim.site).events[made["id"]].name == expected["name"]  # kept, to be read back


def test_a_course_event_is_seen_by_the_courses_active_participants_only():
    sim = SimulatedMoodle(generate("small"), token=TOKEN)
    site = sim.site
    course, learner = next(k for k, e in site.enrolments.items() if e.role == "student" and e.active_at(site.now))
    outsider = next(u for u in site.users.values() if u.idnumber and (course, u.id) not in site.enrolments)
    made = _call(sim, "core_calendar_create_calendar_events", events=[
        {"name": "Due", "courseid": course, "eventtype": "course", "timestart": site.now + 86400}])
    event_id = made["events"][0]["id"]
    state = calendar(site)
    assert [e.id for e in state.seen_by(site, learner)] == [event_id]
    assert state.seen_by(site, outsider.id) == []
    site.suspend_enrolment(course, learner)
    assert state.seen_by(site, learner) == []


def test_a_user_event_lands_in_the_callers_calendar_not_the_cadres():
    sim = SimulatedMoodle(generate("small"), token=TOKEN)
    site = sim.site
    cadre = next(u for u in site.users.values() if u.idnumber)
    made = _call(sim, "core_calendar_create_calendar_events", events=[
        {"name": "Mine", "eventtype": "user", "timestart": site.now}])["events"][0]
    assert made["userid"] == site.integration_user_id and made["courseid"] == 0
    assert calendar(site).seen_by(site, cadre.id) == []


def test_delete_answers_null_removes_the_event_and_an_unknown_id_fails_the_whole_call():
    sim = SimulatedMoodle(generate("small"), token=TOKEN)
    course = next(iter(sim.site.courses))
    made = _call(sim, "core_calendar_create_calendar_events", events=[
        {"name": n, "courseid": course, "eventtype": "course", "timestart": sim.site.now} for n in ("a", "b")])
    ids = [e["id"] for e in made["events"]]
    refused = _call(sim, "core_calendar_delete_calendar_events",
                    events=[{"eventid": ids[0], "repeat": 0}, {"eventid": 999999, "repeat": 0}])
    assert refused["errorcode"] == "invalidrecord"  # get_record('event', ..., MUST_EXIST): by table name
    assert refused["message"] == "Can't find data record in database table event."
    assert set(calendar(sim.site).events) == set(ids)  # one transaction: nothing deleted
    assert _call(sim, "core_calendar_delete_calendar_events", events=[{"eventid": ids[0], "repeat": 0}]) is None
    assert set(calendar(sim.site).events) == {ids[1]}


def test_without_the_capability_a_course_event_is_a_warning_and_a_deletion_a_refusal():
    sim = SimulatedMoodle(generate("small"), token=TOKEN)
    course = next(iter(sim.site.courses))
    event_id = _call(sim, "core_calendar_create_calendar_events", events=[
        {"name": "a", "courseid": course, "eventtype": "course", "timestart": sim.site.now}])["events"][0]["id"]
    calendar(sim.site).managers.discard(sim.site.integration_user_id)
    answer = _call(sim, "core_calendar_create_calendar_events", events=[
        {"name": "b", "courseid": course, "eventtype": "course", "timestart": sim.site.now}])
    assert answer == {"events": [], "warnings": [{"item": "b", "warningcode": "nopermissions",
                                                  "message": "you do not have permissions to create this event"}]}
    refused = _call(sim, "core_calendar_delete_calendar_events", events=[{"eventid": event_id, "repeat": 0}])
    assert refused["errorcode"] == "nopermissions" and event_id in calendar(sim.site).events

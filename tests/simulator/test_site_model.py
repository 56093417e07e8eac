"""The generated sites hold the shapes the recorded real site showed, and the site model changes as
Moodle does (a completion reset, a regrade, a deleted user)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from moodle_bridge.moodle._encoding import encode_call
from moodle_bridge.simulator.data import GRADE_CRITERION
from moodle_bridge.simulator.generator import GRADE_REPORT, generate
from moodle_bridge.simulator.server import SimulatedMoodle

TOKEN = "simulated-token"


def _shapes(site) -> Counter:
    now, shapes = site.now, Counter()
    for key, enrolment in site.enrolments.items():
        if enrolment.role != "student":
            shapes["teacher"] += 1
            continue
        progress = site.progress.get(key)
        row = progress is not None and progress.record is not None
        if enrolment.status:
            shapes["suspended, no completion row" if not row else "suspended"] += 1
        elif enrolment.timestart > now:
            shapes["not yet started, no completion row" if not row else "not yet started"] += 1
        elif enrolment.timeend and enrolment.timeend <= now:
            shapes["ended, no completion row" if not row else "ended"] += 1
            if enrolment.timeend > now - 7 * 86400:
                shapes["ended lately"] += 1
        elif not row and site.courses[key[0]].enablecompletion:
            shapes["active, no completion row yet"] += 1
        if site.users[key[1]].suspended and enrolment.active_at(now):
            shapes["suspended user, active enrolment"] += 1
        if row and progress.record.timeenrolled == 0 and progress.record.timecompleted is None:
            shapes["completion reset, row re-created"] += 1
        if progress and any(a.overrideby for a in progress.activities.values()):
            shapes["overridden activity"] += 1
        if progress and any(a.state == 3 for a in progress.activities.values()):
            shapes["failed activity"] += 1
    return shapes


@pytest.mark.parametrize("size", ["small", "county"])
def test_generated_sites_hold_the_recorded_shapes(size):
    shapes = _shapes(generate(size))
    missing = [s for s in ("teacher", "suspended", "suspended, no completion row", "ended", "ended, no completion row",
                           "ended lately", "not yet started, no completion row", "active, no completion row yet",
                           "suspended user, active enrolment", "completion reset, row re-created",
                           "overridden activity", "failed activity") if not shapes[s]]
    assert missing == [], dict(shapes)


def _ask(moodle: SimulatedMoodle, function: str, **arguments):
    _status, _headers, body = moodle.handle(encode_call(function, arguments, TOKEN))
    return json.loads(body)


def test_generated_reports_and_completion_status_show_the_shapes_as_moodle_does():
    site = generate("small")
    moodle = SimulatedMoodle(site, token=TOKEN)
    report = _ask(moodle, "core_reportbuilder_retrieve_report", reportid=4, page=0, perpage=5000)
    assert report["data"]["headers"] == ["Course ID number", "ID number", "Completed", "Time completed", "Status",
                                         "Time started", "Time ended", "Grade"]
    assert site.reports[4].columns == GRADE_REPORT
    rows = {(r["columns"][0], r["columns"][1]): r["columns"] for r in report["data"]["rows"]}
    for (courseid, userid), enrolment in site.enrolments.items():
        course, user = site.courses[courseid], site.users[userid]
        if enrolment.role != "student" or not site.courses[courseid].enablecompletion:
            continue
        progress = site.progress.get((courseid, userid))
        cells = rows[(course.idnumber, user.idnumber)]
        if progress is None or progress.record is None:
            assert cells[2:4] == ["", ""]
        else:
            assert cells[2] == ("Yes" if progress.timecompleted else "No")
        status = _ask(moodle, "core_completion_get_course_completion_status", courseid=courseid, userid=userid)
        if not enrolment.active_at(site.now):
            assert status["errorcode"] == "usernotenroled"
        else:
            assert status["completionstatus"]["completed"] == bool(progress and progress.timecompleted)


def test_a_completion_reset_keeps_the_grade_and_the_cron_recreates_the_row():
    site = generate("tiny")
    key = next(k for k, p in site.progress.items() if p.timecompleted and p.grade is not None)
    completed, grade = site.progress[key].timecompleted, site.progress[key].grade
    site.reset_completion(*key)
    progress = site.progress[key]
    assert progress.activities == {} and progress.grade == grade
    assert (progress.record.timeenrolled, progress.record.timestarted, progress.timecompleted) == (0, completed, None)
    assert site.met_criteria(site.courses[key[0]], progress) == {GRADE_CRITERION: progress.graded_at}


def test_a_failing_regrade_never_uncompletes_the_course():
    site = generate("tiny")
    key = next(k for k, p in site.progress.items() if p.timecompleted and p.grade is not None)
    course, completed = site.courses[key[0]], site.progress[key].timecompleted
    met = dict(site.met_criteria(course, site.progress[key]))
    site.set_grade(*key, 30.0, site.now)
    progress = site.progress[key]
    graded = next(a for a in course.activities if a.graded)
    assert progress.timecompleted == completed and site.met_criteria(course, progress) == met
    assert progress.activities[graded.cmid].state == 3 and progress.grade == 30.0


def test_a_deleted_user_is_renamed_and_keeps_completions_only():
    site = generate("tiny")
    userid = next(u for (_c, u), p in site.progress.items() if p.timecompleted and site.users[u].idnumber)
    user = site.users[userid]
    email, username = user.email, user.username
    site.delete_user(userid)
    assert user.deleted and user.username == f"{email}.{site.now}" and user.idnumber == "" and user.profile == {}
    assert len(user.email) == 32 and user.email != username
    assert not [k for k in site.enrolments if k[1] == userid]
    kept = [p for (_c, u), p in site.progress.items() if u == userid]
    assert kept and all(p.grade is None for p in kept) and any(p.timecompleted for p in kept)
    moodle = SimulatedMoodle(site, token=TOKEN)
    [answer] = _ask(moodle, "core_user_get_users_by_field", field="id", values=[userid])
    assert answer["username"] == user.username and "idnumber" not in answer and "customfields" not in answer

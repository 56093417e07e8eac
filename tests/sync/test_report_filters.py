"""The report road read through the reports' filters (sync.report_filters) and the profiles report.

A full read goes course group by course group (the course selector filter); between full reads an
incremental sync reads only the completions made and the enrolments and profiles created or changed
since the last read; the next full read (--full, or report_full_every_hours later) catches what those
filters cannot see. The mirror after an incremental sync and the full check must equal the mirror a
full sync of the same site gives from scratch.
"""

from __future__ import annotations

import pytest

from moodle_bridge.config import Settings
from tests.sync.expected import differences, expected, mirrored

HOUR = 3600
REPORT, PROFILES = 4, 5


def _filtered(h, **sync) -> None:
    """The harness's settings with the completions report 4 (Grade), the profiles report 5 and filters."""
    h.settings = Settings(moodle={"url": h.moodle.siteurl, "completions_report_id": REPORT,
                                  "profiles_report_id": PROFILES},
                          sync={"completion_road": "report", "report_filters": True, "report_partition_rows": 1000,
                                **sync})


def _calls(h, function: str) -> list[dict]:
    return [c.arguments for c in h.moodle.calls if c.function == function]


def test_a_full_read_by_course_groups_and_profiles_from_the_report_mirror_the_site(harness_factory):
    h = harness_factory("report", report_id=REPORT)
    _filtered(h)
    summary = h.sync(full=True)
    assert summary.ok, summary.errors
    want = expected(h.site, "report", enrolment_times=True, report_grades=True, profiles_report=True)
    assert differences(want, mirrored(h.engine), ["users", "enrolments", "completions", "grades"]) == []
    groups = [c for c in _calls(h, "core_reportbuilder_set_filters") if int(c["reportid"]) == REPORT]
    assert len(groups) > 1  # several course groups, each its own filter values
    assert _calls(h, "core_user_get_users_by_field") == []  # every user in scope came from the profiles report
    # Whatever was set is reset at the end: a person (or doctor) reading the report sees all of it.
    assert h.site.filter_values == {}


def test_an_incremental_read_then_the_full_check_converge_to_a_full_sync(harness_factory):
    h = harness_factory("report", report_id=REPORT)
    _filtered(h)
    assert h.sync(full=True).ok
    site = h.site
    site.now += HOUR
    student = next(u for u in site.users.values() if u.idnumber and u.profile.get("cadre_id") and not u.deleted)
    other = next(u for u in site.users.values() if u.idnumber and u.id != student.id and site.user_courses(u.id))
    course = next(c for c in site.courses.values() if c.enablecompletion and (c.id, student.id) not in site.enrolments)
    site.enrol(course.id, student.id)  # a new enrolment: visible to the incremental read
    site.complete(course.id, student.id, site.now - 60, grade=91.0)  # ... and its completion
    done = next((c, u) for (c, u), p in site.progress.items() if p.timecompleted and (c, u) in site.enrolments
                and u != student.id and site.users[u].idnumber)
    site.reset_completion(*done)  # a reset: invisible until the full check
    site.suspend_enrolment(site.user_courses(other.id)[0], other.id)  # invisible until the full check
    site.suspend_user(other.id)  # a profile change: visible (Time modified)
    calls_before = len(h.moodle.calls)

    summary = h.sync()
    assert summary.ok, summary.errors
    incremental = h.moodle.calls[calls_before:]
    assert not any(c.function == "core_user_get_users_by_field" for c in incremental)
    have = mirrored(h.engine)
    assert have["completions"][(course.id, student.id)]["time_completed"] == site.now - 60 - (site.now - 60) % 60
    assert have["grades"][(course.id, student.id)]["grade"] == 91.0
    assert have["users"][other.id]["suspended"] is True
    assert done in have["completions"]  # the reset waits for the full check
    pages = [c for c in incremental if c.function == "core_reportbuilder_retrieve_report"]
    assert len(pages) == 3  # completions since, enrolments since, profiles since: one page each

    site.now += 25 * HOUR  # report_full_every_hours (24) later: the full check
    summary = h.sync()
    assert summary.ok, summary.errors
    fresh = harness_factory("report", report_id=REPORT, site=site)
    _filtered(fresh)
    assert fresh.sync(full=True).ok
    assert differences(mirrored(fresh.engine), mirrored(h.engine)) == []
    assert done not in mirrored(h.engine)["completions"]


def test_full_forces_a_whole_read_before_the_check_is_due(harness_factory):
    h = harness_factory("report", report_id=REPORT)
    _filtered(h)
    assert h.sync(full=True).ok
    before = len(h.moodle.calls)
    assert h.sync(full=True).ok
    groups = [c for c in h.moodle.calls[before:] if c.function == "core_reportbuilder_set_filters"
              and "course:courseselector_values" in c.arguments["values"]]
    assert groups


def test_a_report_without_the_course_filter_fails_with_what_to_add(harness_factory):
    h = harness_factory("report", report_id=REPORT)
    h.site.reports[REPORT].filters = []  # the administrator did not add the filters
    _filtered(h)
    summary = h.sync(full=True)
    assert not summary.ok
    assert any("Course: Select courses" in e for e in summary.errors), summary.errors


def test_without_the_filter_functions_the_whole_report_is_read_as_before(harness_factory):
    h = harness_factory("report", report_id=REPORT)
    _filtered(h)
    h.moodle.service = h.moodle.service - {"core_reportbuilder_set_filters", "core_reportbuilder_filters_reset"}
    assert h.sync(full=True).ok
    assert h.sync().ok
    assert _calls(h, "core_reportbuilder_set_filters") == []
    want = expected(h.site, "report", enrolment_times=True, report_grades=True, profiles_report=True)
    assert differences(want, mirrored(h.engine), ["users", "enrolments", "completions", "grades"]) == []


@pytest.mark.parametrize("headings, message", [
    ({}, "has no column headed 'cadre_id'"),
    ({"profile:cadre_id": "cadre_id", "profile:unit": "Work unit"}, "head each profile field column"),
])
def test_a_profiles_report_whose_columns_cannot_be_read_fails_the_users_in_one_line(harness_factory, headings,
                                                                                    message):
    h = harness_factory("report", report_id=REPORT)
    h.site.reports[PROFILES].headings = headings
    _filtered(h)
    summary = h.sync(full=True)
    assert not summary.ok
    assert any(message in e for e in summary.errors), summary.errors


def test_doctor_checks_the_profiles_report_and_lists_the_filter_functions(harness_factory):
    from moodle_bridge.doctor import run_doctor

    h = harness_factory("report", report_id=REPORT)
    _filtered(h)
    report = run_doctor(h.settings, h.client, h.engine)
    check = next(c for c in report.checks if c.name == "profiles report")
    assert check.status == "ok" and "cadre_id" in check.detail, check
    assert {"core_reportbuilder_set_filters", "core_reportbuilder_filters_reset"} <= {f.name for f in report.functions}
    h.site.reports[PROFILES].headings = {}
    report = run_doctor(h.settings, h.client, h.engine)
    check = next(c for c in report.checks if c.name == "profiles report")
    assert check.status == "fail" and "short name" in check.detail


def test_partition_rows_0_reads_a_full_report_whole_and_still_reads_changes_through_filters(harness_factory):
    h = harness_factory("report", report_id=REPORT)
    _filtered(h, report_partition_rows=0)
    assert h.sync(full=True).ok
    assert not [c for c in _calls(h, "core_reportbuilder_set_filters") if int(c["reportid"]) == REPORT]
    want = expected(h.site, "report", enrolment_times=True, report_grades=True, profiles_report=True)
    assert differences(want, mirrored(h.engine), ["users", "enrolments", "completions", "grades"]) == []
    before = len(h.moodle.calls)
    assert h.sync().ok
    assert [c for c in h.moodle.calls[before:] if c.function == "core_reportbuilder_set_filters"
            and int(c.arguments["reportid"]) == REPORT]


def test_a_date_filter_missing_from_the_report_is_said_and_its_rows_still_applied(harness_factory):
    h = harness_factory("report", report_id=REPORT)
    h.site.reports[REPORT].filters = ["course:courseselector", "completion:timecompleted"]  # no Time created
    _filtered(h)
    assert h.sync(full=True).ok
    summary = h.sync()
    assert summary.ok, summary.errors
    assert any("check the report's filters" in name for name, n in summary.oddities.items() if n)
    want = expected(h.site, "report", enrolment_times=True, report_grades=True, profiles_report=True)
    assert differences(want, mirrored(h.engine), ["users", "enrolments", "completions", "grades"]) == []


def test_doctor_finds_a_filter_missing_from_its_report_and_leaves_no_filter_set(harness_factory):
    from moodle_bridge.doctor import run_doctor

    h = harness_factory("report", report_id=REPORT)
    _filtered(h)
    check = next(c for c in run_doctor(h.settings, h.client, h.engine).checks if c.name == "report filters")
    assert check.status == "ok", check
    h.site.reports[REPORT].filters.remove("enrolment:timecreated")
    h.site.reports[PROFILES].filters = []
    check = next(c for c in run_doctor(h.settings, h.client, h.engine).checks if c.name == "report filters")
    assert check.status == "fail"
    assert "Enrolment: Time created (4)" in check.detail and "User: Time modified (5)" in check.detail
    assert "Select courses" not in check.detail
    assert h.site.filter_values == {}

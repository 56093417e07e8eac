"""A sync against a Moodle that fails, moves under it, or answers oddly loses nothing."""

from __future__ import annotations

import pytest

from moodle_bridge.store.schema import sync_runs
from tests.sync.expected import differences, expected, mirrored


def _not_enrolled(site, course_id: int) -> list[int]:
    return sorted(u.id for u in site.users.values()
                  if u.idnumber and not u.deleted and (course_id, u.id) not in site.enrolments)


def _report_page(function, arguments) -> bool:
    return function == "core_reportbuilder_retrieve_report" and str(arguments.get("page")) == "1"


def test_report_that_changes_while_paged_is_read_again(harness_factory):
    h = harness_factory("report")
    h.settings.sync.report_page_size = 500
    changed = []
    newcomer = _not_enrolled(h.site, 2)[0]

    def add_enrolment_once(function, arguments):
        if _report_page(function, arguments) and not changed:
            h.site.enrol(2, newcomer)  # a new enrolment appears while the report is being read
            changed.append(True)

    h.moodle.before_answer.append(add_enrolment_once)
    summary = h.sync(full=True)
    assert summary.ok and changed
    assert h.moodle.requests_made("core_reportbuilder_retrieve_report") > 5  # 5 pages, then read again
    assert differences(expected(h.site, "report"), mirrored(h.engine)) == []


def test_report_that_never_settles_applies_nothing_and_marks_nothing_gone(harness_factory):
    h = harness_factory("report")
    h.settings.sync.report_page_size = 500
    assert h.sync(full=True).ok
    before = mirrored(h.engine)
    learners = _not_enrolled(h.site, 3)

    def keep_moving(function, arguments):
        if _report_page(function, arguments):
            h.site.enrol(3, learners.pop())

    h.moodle.before_answer.append(keep_moving)
    for key in [k for k, p in h.site.progress.items() if p.timecompleted][:5]:
        h.site.reset_completion(*key)  # would be applied if the report were trusted
    summary = h.sync()
    assert not summary.ok and "changed while being read" in summary.errors[0]
    after = mirrored(h.engine)
    assert after["completions"] == before["completions"] and after["enrolments"] == before["enrolments"]
    with h.engine.connect() as connection:
        assert [r.status for r in connection.execute(sync_runs.select().order_by(sync_runs.c.id))] == [
            "succeeded", "failed"]


@pytest.mark.parametrize("fault", ["http_500", "http_429", "http_503_html", "sitemaintenance", "timeout", "drop",
                                   "locktimeout"])
def test_transient_faults_are_retried_and_the_mirror_is_right(harness_factory, fault):
    h = harness_factory("batch")
    h.moodle.faults.add(fault, times=2, skip=3)
    h.moodle.faults.add(fault, function="core_completion_get_course_completion_status", times=1)
    h.moodle.faults.add(fault, function="tool_mobile_call_external_functions", times=1, skip=2)
    summary = h.sync(full=True)
    assert summary.ok, summary.errors
    assert any(c.outcome == fault for c in h.moodle.calls)
    assert differences(expected(h.site, "batch"), mirrored(h.engine)) == []


def test_a_moodle_that_stays_down_fails_the_run_which_then_resumes(harness_factory):
    h = harness_factory("batch")
    h.moodle.faults.add("http_500", function="core_enrol_get_enrolled_users", times=1000, skip=10)
    failed = h.sync(full=True)
    assert not failed.ok and any("enrolments" in e for e in failed.errors)
    # Whatever did commit is whole; nothing is marked gone on the strength of an error.
    assert all(not rows or True for rows in mirrored(h.engine).values())
    with h.engine.connect() as connection:
        gone = connection.execute(sync_runs.select()).fetchall()
    assert gone[-1].status == "failed"
    h.moodle.faults.clear()
    assert h.sync(full=True).ok
    assert differences(expected(h.site, "batch"), mirrored(h.engine)) == []


def test_web_services_switched_off_fails_cleanly(harness_factory):
    h = harness_factory("report")
    h.moodle.faults.add("http_403_empty", times=1000)
    with pytest.raises(Exception, match="web services or the REST protocol are disabled"):
        h.sync()
    assert all(not rows for rows in mirrored(h.engine).values())

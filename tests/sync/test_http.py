"""The same sync over real HTTP: the simulator as a server on 127.0.0.1."""

from __future__ import annotations

from moodle_bridge.config import Settings
from moodle_bridge.moodle import MoodleClient, MoodleTimeout, RetryPolicy
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle
from moodle_bridge.store import connect, upgrade
from moodle_bridge.sync import Sync, SyncOptions
from tests.sync.expected import differences, expected, mirrored


def test_sync_over_http_with_faults_on_the_wire(tmp_path):
    site = generate("small")
    moodle = SimulatedMoodle(site)
    moodle.timeout_hang = 1.0
    moodle.faults.add("drop", function="core_user_get_users_by_field", times=1)
    moodle.faults.add("timeout", function="core_course_get_categories", times=1)
    moodle.faults.add("http_503_html", function="core_cohort_get_cohorts", times=1)
    engine = connect(f"sqlite:///{tmp_path / 'mirror.db'}")
    upgrade(engine)
    with moodle.serve() as url:
        settings = Settings(moodle={"url": url, "completions_report_id": 3})
        client = MoodleClient(url, "simulated-token", read_timeout=0.5, sleep=lambda s: None,
                              retry=RetryPolicy(attempts=3, maintenance_wait=0.01))
        summary = Sync(settings, client, engine).run(SyncOptions(full=True))
    assert summary.ok, summary.errors
    outcomes = {c.outcome for c in moodle.calls}
    assert {"drop", "timeout", "http_503_html"} <= outcomes
    assert differences(expected(site, "report", enrolment_times=True), mirrored(engine)) == []


def test_a_write_that_timed_out_is_not_sent_again(tmp_path):
    moodle = SimulatedMoodle(generate("small"))
    moodle.timeout_hang = 1.0
    moodle.faults.add("timeout", function="enrol_manual_enrol_users", times=1)
    with moodle.serve() as url:
        client = MoodleClient(url, "simulated-token", read_timeout=0.5, sleep=lambda s: None)
        try:
            client.call("enrol_manual_enrol_users", enrolments=[{"roleid": 5, "userid": 8, "courseid": 8}])
        except MoodleTimeout:
            pass
        else:
            raise AssertionError("the timeout should reach the caller")
    assert moodle.requests_made("enrol_manual_enrol_users") == 1  # done once, by Moodle, not repeated
    assert (8, 8) in moodle.site.enrolments

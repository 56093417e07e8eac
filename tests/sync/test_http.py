"""The same sync over real HTTP: the simulator as a server on 127.0.0.1.

No deadline here is what a test is about: a busy machine (CI with both cores loaded) may take
seconds to answer an ordinary call. Only the call that the simulator holds back on purpose is
given up on quickly, and the simulator holds it back far longer than that, so the client's
timeout is the only way that call can end.
"""

from __future__ import annotations

import threading
from typing import Any

import requests

from moodle_bridge.config import Settings
from moodle_bridge.moodle import MoodleClient, MoodleTimeout, RetryPolicy
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle
from moodle_bridge.store import connect, upgrade
from moodle_bridge.sync import Sync, SyncOptions
from tests.sync.expected import differences, expected, mirrored

GENEROUS = 120.0  # seconds an ordinary answer may take on a loaded machine: never reached
GIVE_UP = 0.2  # seconds the client waits for the one answer held back on purpose
HANG = 3.0  # seconds the simulator holds that answer back: far past GIVE_UP, even on a loaded machine


class GivesUpQuicklyOn(requests.Session):
    """The first request for ``function`` waits GIVE_UP seconds for its answer; every other request
    keeps the client's own (generous) timeout."""

    def __init__(self, function: str) -> None:
        super().__init__()
        self.function, self.shortened, self._lock = function, 0, threading.Lock()

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if dict(kwargs.get("data") or ()).get("wsfunction") == self.function:
            with self._lock:
                first, self.shortened = self.shortened == 0, self.shortened + 1
            if first:
                timeout = kwargs.get("timeout")
                kwargs["timeout"] = (timeout[0] if isinstance(timeout, tuple) else timeout, GIVE_UP)
        return super().request(method, url, *args, **kwargs)


def test_sync_over_http_with_faults_on_the_wire(tmp_path):
    site = generate("small")
    moodle = SimulatedMoodle(site)
    moodle.timeout_hang = HANG
    moodle.faults.add("drop", function="core_user_get_users_by_field", times=1)
    moodle.faults.add("timeout", function="core_course_get_categories", times=1)
    moodle.faults.add("http_503_html", function="core_cohort_get_cohorts", times=1)
    engine = connect(f"sqlite:///{tmp_path / 'mirror.db'}")
    upgrade(engine)
    session = GivesUpQuicklyOn("core_course_get_categories")
    with moodle.serve() as url:
        settings = Settings(moodle={"url": url, "completions_report_id": 3})
        client = MoodleClient(url, "simulated-token", read_timeout=GENEROUS, sleep=lambda s: None, session=session,
                              retry=RetryPolicy(attempts=3, maintenance_wait=0.01))
        summary = Sync(settings, client, engine).run(SyncOptions(full=True))
    assert summary.ok, summary.errors
    assert session.shortened >= 2  # the held-back call, then its retry with the generous timeout
    outcomes = {c.outcome for c in moodle.calls}
    assert {"drop", "timeout", "http_503_html"} <= outcomes
    assert differences(expected(site, "report", enrolment_times=True), mirrored(engine)) == []


def test_a_write_that_timed_out_is_not_sent_again(tmp_path):
    moodle = SimulatedMoodle(generate("small"))
    moodle.timeout_hang = HANG
    moodle.faults.add("timeout", function="enrol_manual_enrol_users", times=1)
    with moodle.serve() as url:
        client = MoodleClient(url, "simulated-token", read_timeout=GIVE_UP, sleep=lambda s: None)
        try:
            client.call("enrol_manual_enrol_users", enrolments=[{"roleid": 5, "userid": 8, "courseid": 8}])
        except MoodleTimeout:
            pass
        else:
            raise AssertionError("the timeout should reach the caller")
    assert moodle.requests_made("enrol_manual_enrol_users") == 1  # done once, by Moodle, not repeated
    assert (8, 8) in moodle.site.enrolments

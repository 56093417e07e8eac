"""doctor says what the configured completion road cannot see, counted on the recorded real site."""

from __future__ import annotations

import pytest
import responses

from moodle_bridge.config import Settings
from moodle_bridge.doctor import run_doctor
from moodle_bridge.moodle import MoodleClient, RetryPolicy
from moodle_bridge.simulator.server import SimulatedMoodle
from moodle_bridge.simulator.truth import load_site
from moodle_bridge.store import connect, upgrade
from moodle_bridge.sync import Sync, SyncOptions
from tests.sync.truth_expected import SITE, inactive_student_enrolments, tables

pytestmark = pytest.mark.skipif(not SITE.is_dir(), reason=f"the recorded site is not here: {SITE}")
UNSEEN = "what this road cannot see"


def _doctor(tmp_path, report_id: int | None, sync_first: bool):
    moodle = SimulatedMoodle(load_site(SITE / "snapshot-a"))
    tmp_path.mkdir(parents=True, exist_ok=True)
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    settings = Settings(moodle={"url": moodle.siteurl, "completions_report_id": report_id})
    client = MoodleClient(moodle.siteurl, "simulated-token", retry=RetryPolicy(attempts=1), sleep=lambda s: None)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        moodle.mount(mock)
        if sync_first:
            assert Sync(settings, client, engine).run(SyncOptions(full=True)).ok
        report = run_doctor(settings, client, engine)
    return report, {c.name: c for c in report.checks}


def test_the_batched_road_says_how_many_enrolments_it_cannot_see(tmp_path):
    report, checks = _doctor(tmp_path, report_id=None, sync_first=True)
    assert report.completion_road == "batch"
    count = inactive_student_enrolments(tables("snapshot-a"))
    assert checks[UNSEEN].status == "warn"
    assert checks[UNSEEN].detail.startswith(f"course completions and final grades of {count} enrolments")
    assert "completions report" in checks[UNSEEN].detail


def test_before_the_first_sync_it_says_so(tmp_path):
    _report, checks = _doctor(tmp_path, report_id=None, sync_first=False)
    assert "counted after the first sync" in checks[UNSEEN].detail


def test_a_report_without_grade_misses_only_grades_and_with_grade_nothing(tmp_path):
    _report, checks = _doctor(tmp_path / "3", report_id=3, sync_first=True)
    assert checks[UNSEEN].detail.startswith("final grades of ") and "Grade column" in checks[UNSEEN].detail
    assert "final grades read per course" in checks["completions report"].detail
    _report, checks = _doctor(tmp_path / "4", report_id=4, sync_first=True)
    assert UNSEEN not in checks and "final grades from the report" in checks["completions report"].detail

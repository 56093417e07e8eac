"""The pipeline: a whole run, a skipped run while another holds the lock, and SIGTERM mid-sync."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import responses
import sqlalchemy as sa
from click.testing import CliRunner

from moodle_bridge.cli import main
from moodle_bridge.config import Settings
from moodle_bridge.services.pipeline import run_pipeline
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.lock import StoreLock
from moodle_bridge.store.schema import pipeline_runs, sync_partitions, sync_runs

ROOT = Path(__file__).resolve().parents[2]


def _settings(tmp_path, url) -> Settings:
    shutil.copy(ROOT / "config/rules.example.yaml", tmp_path / "rules.yaml")
    token = tmp_path / "token"
    token.write_text("simulated-token")
    return Settings(moodle={"url": url, "token_file": str(token), "completions_report_id": 3},
                    rules={"file": str(tmp_path / "rules.yaml")}, store={"url": f"sqlite:///{tmp_path}/store.db"},
                    schedule={"reports_folder": str(tmp_path / "reports")})


def test_a_pipeline_run_and_a_second_one_skipped_while_the_lock_is_held(tmp_path):
    moodle = SimulatedMoodle(generate("small"))
    settings = _settings(tmp_path, moodle.siteurl)
    engine = connect(settings.store.url)
    upgrade(engine)
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        result = run_pipeline(settings, engine)
    assert result["status"] == "succeeded", result
    assert [s["step"] for s in result["steps"]] == ["sync", "evaluate", "reports"]
    assert len(list((tmp_path / "reports").iterdir())) == 6
    with StoreLock(engine):  # another pipeline is running
        skipped = run_pipeline(settings, engine)
    assert skipped["status"] == "skipped" and "held by" in skipped["error"]
    with engine.connect() as c:
        assert [r.status for r in c.execute(sa.select(pipeline_runs).order_by(pipeline_runs.c.id))] == [
            "succeeded", "skipped"]
    engine.dispose()


def test_sigterm_during_a_sync_stops_cleanly_and_the_next_run_resumes(tmp_path):
    server = subprocess.Popen([sys.executable, str(Path(__file__).with_name("serve_simulator.py"))], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        settings = _settings(tmp_path, url)
        config = tmp_path / "moodle_bridge.toml"
        config.write_text(f'[moodle]\nurl = "{url}"\ntoken_file = "{tmp_path / "token"}"\ncompletions_report_id = 3\n'
                          f'[rules]\nfile = "{tmp_path / "rules.yaml"}"\n[store]\nurl = "{settings.store.url}"\n'
                          f'[schedule]\nreports_folder = "{tmp_path / "reports"}"\n')
        engine = connect(settings.store.url)
        upgrade(engine)
        child = subprocess.Popen([sys.executable, "-m", "moodle_bridge", "--config", str(config), "pipeline"],
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 env={**os.environ, "COLUMNS": "200"})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # wait until the sync has committed a partition or two
            with engine.connect() as c:
                if c.execute(sa.select(sa.func.count()).select_from(sync_partitions)).scalar() >= 2:
                    break
            time.sleep(0.05)
        child.send_signal(signal.SIGTERM)
        output, _ = child.communicate(timeout=60)
        assert child.returncode == 1, output
        with engine.connect() as c:
            run = c.execute(sa.select(pipeline_runs).order_by(pipeline_runs.c.id.desc())).first()
            sync_run = c.execute(sa.select(sync_runs).order_by(sync_runs.c.id.desc())).first()
        assert run.status == "interrupted" and run.steps[0]["status"] == "interrupted"
        assert sync_run.status == "running"  # resumable: whole partitions only
        resumed = subprocess.run([sys.executable, "-m", "moodle_bridge", "--config", str(config), "pipeline"],
                                 cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        with engine.connect() as c:
            assert [r.status for r in c.execute(sa.select(sync_runs))] == ["succeeded"]  # the same run, resumed
        runs = json.loads(CliRunner().invoke(main, ["--config", str(config), "runs", "--json"]).output)
        assert [r["status"] for r in runs] == ["succeeded", "interrupted"]
        engine.dispose()
    finally:
        server.kill()
        server.wait()


def test_a_sync_past_its_step_deadline_stops_resumably_and_fails_the_run_with_the_reason(tmp_path, monkeypatch):
    import threading
    from contextlib import contextmanager

    from moodle_bridge.services import pipeline

    @contextmanager
    def already_late(_seconds):  # the deadline has passed the moment the step starts: no clock involved
        late = threading.Event()
        late.set()
        yield late

    monkeypatch.setattr(pipeline, "_deadline", already_late)
    alerts = []
    monkeypatch.setattr("moodle_bridge.services.alerts.alert", lambda _s, subject, text: alerts.append(subject))
    moodle = SimulatedMoodle(generate("small"))
    settings = _settings(tmp_path, moodle.siteurl)
    engine = connect(settings.store.url)
    upgrade(engine)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        moodle.mount(mock)
        result = run_pipeline(settings, engine)
    assert result["status"] == "failed" and [s["step"] for s in result["steps"]] == ["sync"]
    assert "deadline of 240 minutes (schedule.step_deadline_minutes)" in result["error"]
    assert any("failed" in subject for subject in alerts)
    with engine.connect() as c:  # the sync run is left to resume, not finished as if complete
        assert c.execute(sa.select(sync_runs.c.status)).scalar() == "running"
    engine.dispose()

"""moodle-bridge sync and status, from the command line, against the simulator."""

from __future__ import annotations

import json

import responses
from click.testing import CliRunner

from moodle_bridge.cli import main
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle


def _config(tmp_path, monkeypatch, moodle):
    (tmp_path / "moodle_bridge.toml").write_text(
        f'[moodle]\nurl = "{moodle.siteurl}"\ncompletions_report_id = 2\n'
        f'[store]\nurl = "sqlite:///{tmp_path}/store.db"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MOODLE_BRIDGE_MOODLE__TOKEN", "simulated-token")


def test_sync_then_status(tmp_path, monkeypatch):
    moodle = SimulatedMoodle(generate("small"))
    _config(tmp_path, monkeypatch, moodle)
    runner = CliRunner()
    not_ready = runner.invoke(main, ["sync"])
    assert not_ready.exit_code == 1 and "db upgrade" in not_ready.output
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        dry = runner.invoke(main, ["sync", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "Dry run: nothing was written." in dry.output
        result = runner.invoke(main, ["sync", "--full"])
    assert result.exit_code == 0, result.output
    assert "course completions" in result.output and "Unusual data" in result.output
    status = runner.invoke(main, ["status", "--json"])
    data = json.loads(status.output)
    assert data["counts"]["completions"]["present"] > 1000
    assert data["last_run"]["status"] == "succeeded" and data["last_run"]["kind"] == "full"
    assert "The mirror" in runner.invoke(main, ["status"]).output


def test_sync_rejects_unknown_entities(tmp_path, monkeypatch):
    moodle = SimulatedMoodle(generate("small"))
    _config(tmp_path, monkeypatch, moodle)
    result = CliRunner().invoke(main, ["sync", "--only", "courses,badges"])
    assert result.exit_code == 2 and "badges" in result.output


def test_sync_fails_with_exit_1_when_moodle_fails(tmp_path, monkeypatch):
    moodle = SimulatedMoodle(generate("small"))
    _config(tmp_path, monkeypatch, moodle)
    runner = CliRunner()
    runner.invoke(main, ["db", "upgrade"])
    monkeypatch.setenv("MOODLE_BRIDGE_MOODLE__RETRY__ATTEMPTS", "1")
    moodle.faults.add("http_500", function="core_user_get_users_by_field", times=10_000)
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        result = runner.invoke(main, ["--log-level", "error", "sync"])
    assert result.exit_code == 1 and "Failed: users" in result.output


def test_sync_refuses_to_run_beside_a_running_pipeline_but_a_dry_run_may(tmp_path, monkeypatch):
    from moodle_bridge.store import connect
    from moodle_bridge.store.lock import StoreLock

    moodle = SimulatedMoodle(generate("small"))
    _config(tmp_path, monkeypatch, moodle)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    with StoreLock(connect(f"sqlite:///{tmp_path}/store.db")):
        refused = runner.invoke(main, ["sync"])
        assert refused.exit_code == 1 and "Another run is using the store" in refused.output
        assert moodle.calls == []  # refused before asking Moodle anything
        with responses.RequestsMock() as mock:
            moodle.mount(mock)
            dry = runner.invoke(main, ["sync", "--dry-run"])
        assert dry.exit_code == 0, dry.output
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        assert runner.invoke(main, ["sync"]).exit_code == 0

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


def _free_port() -> int:
    import socket

    with socket.socket() as probe:  # bound, then closed: nobody answers there
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_moodle_that_cannot_be_reached_is_one_line_and_exit_1(tmp_path, monkeypatch):
    moodle = SimulatedMoodle(generate("tiny"), siteurl=f"http://127.0.0.1:{_free_port()}")
    _config(tmp_path, monkeypatch, moodle)
    monkeypatch.setenv("MOODLE_BRIDGE_MOODLE__RETRY__ATTEMPTS", "1")
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(main, ["--log-level", "error", "--log-format", "console", "sync"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    failure = [line for line in result.output.splitlines() if line.startswith("Sync failed:")]
    assert failure and "could not connect" in failure[0], result.output
    assert "Traceback" not in result.output


def _failed_sync(tmp_path, monkeypatch, **environment):
    """Sync a tiny simulated site with these settings; the run must fail with exit 1, not crash."""
    moodle = SimulatedMoodle(generate("tiny"))
    _config(tmp_path, monkeypatch, moodle)
    for name, value in environment.items():
        monkeypatch.setenv(f"MOODLE_BRIDGE_MOODLE__{name}", value)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        result = runner.invoke(main, ["--log-level", "error", "sync"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result.output


def test_a_refused_token_is_one_line_and_exit_1(tmp_path, monkeypatch):
    output = _failed_sync(tmp_path, monkeypatch, TOKEN="not-a-token")
    assert output.splitlines()[-1].startswith("Sync failed:") and "Invalid token" in output
    assert "not-a-token" not in output


def test_a_missing_completions_report_says_what_to_check(tmp_path, monkeypatch):
    output = _failed_sync(tmp_path, monkeypatch, COMPLETIONS_REPORT_ID="999")
    assert "completions report 999: Moodle has no report with this id" in output

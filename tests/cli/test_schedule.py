"""`pipeline`, `scheduler` and `runs` say what happened and what comes next, in words."""

from __future__ import annotations

import pytest
from apscheduler.schedulers.blocking import BlockingScheduler
from click.testing import CliRunner

from moodle_bridge.cli import main
from moodle_bridge.services import pipeline


@pytest.fixture
def config(tmp_path, monkeypatch):
    path = tmp_path / "moodle_bridge.toml"
    path.write_text('[moodle]\nurl = "https://moodle.example.org"\n'
                    f'[store]\nurl = "sqlite:///{tmp_path}/store.db"\n'
                    '[schedule]\npipeline = "30 2 * * *"\n')
    monkeypatch.setenv("MOODLE_BRIDGE_MOODLE__TOKEN", "t0ken-for-tests")
    assert CliRunner().invoke(main, ["--config", str(path), "db", "upgrade"]).exit_code == 0
    return path


def test_runs_before_any_run_says_so_and_how_to_start_one(config):
    result = CliRunner().invoke(main, ["--config", str(config), "runs"])
    assert result.exit_code == 0
    assert "No pipeline runs yet" in result.output and "moodle-bridge pipeline" in result.output


def test_a_failed_pipeline_says_why(config, monkeypatch):
    monkeypatch.setattr(pipeline, "run_pipeline", lambda *a, **k: {
        "id": 1, "status": "failed", "steps": [], "error": "sync: Moodle did not answer"})
    result = CliRunner().invoke(main, ["--config", str(config), "pipeline"])
    assert result.exit_code != 0
    assert "failed: sync: Moodle did not answer" in result.output


def test_a_failed_pipeline_in_chinese_names_the_state_in_words(config, monkeypatch):
    monkeypatch.setattr(pipeline, "run_pipeline", lambda *a, **k: {"id": 1, "status": "failed", "steps": [],
                                                                    "error": "sync: Moodle did not answer"})
    result = CliRunner().invoke(main, ["--config", str(config), "--lang", "zh_CN", "pipeline"])
    assert result.exit_code != 0
    assert "失败: sync: Moodle did not answer" in result.output and "failed" not in result.output


def test_the_scheduler_says_when_it_runs_next(config, monkeypatch):
    monkeypatch.setattr(BlockingScheduler, "start", lambda self, *a, **k: None)
    result = CliRunner().invoke(main, ["--config", str(config), "scheduler"])
    assert result.exit_code == 0, result.output
    assert "next run " in result.output and " 02:30" in result.output  # the cron's time, in the organisation's zone

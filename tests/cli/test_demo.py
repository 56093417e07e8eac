"""The README's first command: ``moodle-bridge demo`` runs the whole job end to end."""

from __future__ import annotations

from click.testing import CliRunner

from moodle_bridge.cli import main


def test_the_demo_runs_end_to_end_and_reads_grades_from_the_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--lang", "en", "demo"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "demo-output"
    for name in ("units.html", "units.csv", "units.xlsx", "flagged.html", "flagged.csv", "flagged.xlsx",
                 "actions-dry-run.json", "store.db", "moodle_bridge.toml"):
        assert (out / name).stat().st_size > 0, name
    assert "completions_report_id = 4" in (out / "moodle_bridge.toml").read_text()
    # The recommended report carries the grades: the sync made no per-course grade reads.
    assert "cannot be read" not in result.output and "Sync failed" not in result.output
    assert "Cadres by status:" in result.output

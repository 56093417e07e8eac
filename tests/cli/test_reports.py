"""`moodle-bridge report`: JSON goes to standard output unless a file is named; the other formats to a file."""

from __future__ import annotations

import json

from .test_rules import invoke, site_dir  # noqa: F401 (a fixture)


def test_json_without_output_is_printed_and_with_output_is_written(site_dir):  # noqa: F811
    path, _moodle, runner = site_dir
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    printed = json.loads(invoke(runner, "report", "units", "--format", "json"))
    assert printed["evaluation"]["period"] == "2026" and printed["units"]
    assert not list(path.glob("units*.json"))
    assert "Wrote" in invoke(runner, "report", "units", "--format", "json", "--output", "u.json")
    assert json.loads((path / "u.json").read_text()) == printed

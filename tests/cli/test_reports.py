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


def test_the_year_end_summary_is_a_report_kind(site_dir):  # noqa: F811
    from openpyxl import load_workbook

    path, _moodle, runner = site_dir
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-12-31")
    assert "Wrote summary.html" in invoke(runner, "report", "summary")
    assert "Year-end summary of cadre education and training" in (path / "summary.html").read_text()
    invoke(runner, "report", "summary", "--format", "xlsx")
    book = load_workbook(path / "summary.xlsx")
    assert book.sheetnames == ["County totals", "Units", "Still short", "Make-up owed"]
    assert book["County totals"]["B3"].data_type == "n"  # the cadres, a number

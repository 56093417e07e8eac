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


def test_flags_and_the_ledger_name_requirements_and_sources_not_codes(site_dir):  # noqa: F811
    _path, _moodle, runner = site_dir
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    flags = json.loads(invoke(runner, "flags", "--format", "json"))
    hours = next(f for f in flags if f["kind"] == "insufficient_hours")
    assert hours["rule"] == "groups.township_and_below.requirements[0]"  # the code stays for programs
    assert hours["requirement"] == "Township/section level and below: at least 90 class hours in the period"
    table = invoke(runner, "flags", "--lang", "zh_CN")
    assert "requirements[" not in table and "乡科级及以下干部" in table
    ledger = invoke(runner, "credits", "show", hours["cadre_id"])
    assert "completion:" not in ledger and "offline:" not in ledger
    assert " · " in ledger  # a course named by its full and short name


def test_a_resolved_flag_is_named_by_the_rules_that_raised_it(site_dir):  # noqa: F811
    path, _moodle, runner = site_dir
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    rules = path / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    first = "      - {kind: min_hours, hours: 90}\n"
    assert first in text
    rules.write_text(text.replace(first, "      - {kind: min_online_hours, hours: 1}\n" + first, 1), encoding="utf-8")
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")  # every path of the group moved by one
    diff = json.loads(invoke(runner, "flags", "--format", "json", "--diff"))
    resolved = next(f for f in diff if f["change"] == "resolved" and f["kind"] == "insufficient_hours")
    new = next(f for f in diff if f["change"] == "new" and f["kind"] == "insufficient_hours")
    assert resolved["rule"] == "groups.township_and_below.requirements[0]"
    assert resolved["requirement"].endswith("at least 90 class hours in the period")
    assert new["requirement"].endswith("at least 90 class hours in the period")


def test_an_evaluation_refuses_rules_in_another_zone_than_the_configuration(site_dir):  # noqa: F811
    path, _moodle, runner = site_dir
    rules = path / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("timezone: Asia/Shanghai", "timezone: Asia/Urumqi"),
                     encoding="utf-8")
    from moodle_bridge.cli import main

    result = runner.invoke(main, ["evaluate", "--period", "2026", "--as-of", "2026-11-21"])
    assert result.exit_code != 0
    assert ("organisation.timezone is Asia/Urumqi, but the configuration's sync.organisation_timezone is "
            "Asia/Shanghai: make them the same") in result.output
    assert "Asia/Urumqi" in invoke(runner, "rules", "check", str(rules))  # a draft may still be checked

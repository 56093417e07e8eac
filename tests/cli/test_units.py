"""The unit tree from Moodle to the reports through the command line: cohorts naming their parent in a custom field,
synced, evaluated, rolled up; the units file and the transfers file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner

from moodle_bridge.cli import main
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle

ROOT = Path(__file__).resolve().parents[2]
# The simulated county's first five unit cohorts as a three-level tree: 1 above 2 and 3, 2 above 4 and 5.
PARENTS = {2: 1, 3: 1, 4: 2, 5: 2}
TREE_RULES = "  unit: {source: cohort, tree: {source: cohort_field, field: parent_unit}}"


@pytest.fixture
def tree_dir(tmp_path, monkeypatch):
    site = generate("small")
    for child, parent in PARENTS.items():
        site.cohorts[child].customfields["parent_unit"] = site.cohorts[parent].idnumber
    moodle = SimulatedMoodle(site)
    rules = (ROOT / "config/rules.example.yaml").read_text().replace("  unit: {source: cohort}", TREE_RULES)
    (tmp_path / "rules.yaml").write_text(rules)
    (tmp_path / "moodle_bridge.toml").write_text(
        f'[moodle]\nurl = "{moodle.siteurl}"\ncompletions_report_id = 3\n'
        f'[store]\nurl = "sqlite:///{tmp_path}/store.db"\n[rules]\nfile = "rules.yaml"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MOODLE_BRIDGE_MOODLE__TOKEN", "simulated-token")
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        assert runner.invoke(main, ["sync", "--full"]).exit_code == 0
    return tmp_path, site, runner


def invoke(runner, *args, code: int = 0):
    result = runner.invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result.output


def _units(runner, *more: str) -> list[dict[str, str]]:
    """The units report's rows (CSV), each by its column headers."""
    invoke(runner, "report", "units", "--format", "csv", "--output", "u.csv", *more)
    rows = list(csv.reader(io.StringIO(Path("u.csv").read_text(encoding="utf-8-sig"))))
    header = next(n for n, row in enumerate(rows) if "Unit code" in row)
    return [dict(zip(rows[header], row, strict=False)) for row in rows[header + 1:] if row and row[1]]


def test_a_tree_described_in_moodle_rolls_up_in_every_report(tree_dir):
    _path, site, runner = tree_dir
    code = {n: site.cohorts[n].idnumber for n in range(1, 6)}
    shown = invoke(runner, "units", "show")
    assert site.cohorts[4].name in shown and "problems" not in shown
    office = next(line for line in shown.splitlines() if site.cohorts[4].name in line)
    assert [cell.strip() for cell in office.strip("│ ").split("│")] == [
        site.cohorts[4].name, site.cohorts[4].idnumber, site.cohorts[2].name]  # unit, its code, its parent
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    rows = {row["Unit code"]: row for row in _units(runner)}
    members = {n: sum(1 for uid in site.cohorts[n].members  # the suspended are not counted
                      if not site.users[uid].suspended and not site.users[uid].deleted) for n in range(1, 6)}
    assert int(rows[code[2]]["Cadres"]) == members[2] + members[4] + members[5]
    assert int(rows[code[1]]["Cadres"]) == sum(members.values())
    assert rows[code[4]]["Parent unit"] == site.cohorts[2].name and rows[code[1]]["Parent unit"] == ""
    one = [row["Unit code"] for row in _units(runner, "--unit", code[2])]
    assert sorted(one) == sorted([code[2], code[4], code[5]]) and one[0] == code[2]
    flagged = json.loads(invoke(runner, "report", "flagged", "--unit", code[2], "--format", "json"))
    assert {u["code"] for u in flagged["units"]} <= {code[2], code[4], code[5]}
    assert {code[4], code[5]} & {u["code"] for u in flagged["units"]}


def test_the_units_file_and_the_transfers_file_are_checked_and_imported(tree_dir):
    path, site, runner = tree_dir
    invoke(runner, "units", "template", "--output", "units.csv")
    (path / "units.csv").write_text("unit code,unit name,parent unit code\nA,County,\nB,Town,A\nC,Office,NOPE\n")
    refused = invoke(runner, "units", "import", "units.csv", code=2)
    assert "units.csv:4: parent unit code NOPE is not a unit of the file" in refused
    (path / "units.csv").write_text("unit code,unit name,parent unit code\nA,County,\nB,Town,A\nC,Office,B\n")
    assert "3 units imported." in invoke(runner, "units", "import", "units.csv")

    invoke(runner, "units", "transfers-template", "--output", "moves.csv")
    assert (path / "moves.csv").read_text(encoding="utf-8-sig").startswith("cadre id,unit code,from")
    cadre = site.users[min(site.cohorts[4].members)].profile["cadre_id"]
    (path / "moves.csv").write_text(f"cadre id,unit code,from\n{cadre},{site.cohorts[3].idnumber},2026-07-01\n"
                                    f"nobody,{site.cohorts[3].idnumber},2026-07-01\n")
    assert "moves.csv:3: cadre id 'nobody' is not a cadre" in invoke(runner, "units", "transfers", "moves.csv",
                                                                      code=2)
    (path / "moves.csv").write_text(f"cadre id,unit code,from\n{cadre},{site.cohorts[3].idnumber},2026-07-01\n")
    assert "Moves of 1 cadres imported." in invoke(runner, "units", "transfers", "moves.csv")
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    file = json.loads(invoke(runner, "report", "training-file", cadre, "--format", "json"))
    assert file["result"]["unit_code"] == site.cohorts[3].idnumber  # as of 2026-11-21: moved on 1 July
    assert [u["code"] for u in file["units"]] == [site.cohorts[4].idnumber, site.cohorts[3].idnumber]
    assert "1 moves forgotten." in invoke(runner, "units", "clear-transfers", cadre)  # Moodle's unit again
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    file = json.loads(invoke(runner, "report", "training-file", cadre, "--format", "json"))
    assert file["result"]["unit_code"] == site.cohorts[4].idnumber

"""The units' targets and the year-end assessment through the command line: the template (with the units), the
import (CSV in Chinese and GB18030, Excel with percent cells), a re-import replacing the period's targets, refusals
with their lines, and the assessment report in every format (its figures numbers in Excel)."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
import responses
import sqlalchemy as sa
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from moodle_bridge.cli import main
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle
from moodle_bridge.store import connect
from moodle_bridge.store.schema import unit_targets

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """A store synced from a small simulated county and evaluated with the example rules."""
    path = tmp_path_factory.mktemp("targets")
    moodle = SimulatedMoodle(generate("small"))
    shutil.copy(ROOT / "config/rules.example.yaml", path / "rules.yaml")
    (path / "moodle_bridge.toml").write_text(
        f'[moodle]\nurl = "{moodle.siteurl}"\ncompletions_report_id = 3\n'
        f'[rules]\nfile = "{path / "rules.yaml"}"\n[store]\nurl = "sqlite:///{path}/store.db"\n')
    runner = CliRunner(env={"MOODLE_BRIDGE_MOODLE__TOKEN": "simulated-token", "MOODLE_BRIDGE_CONFIG":
                            str(path / "moodle_bridge.toml"), "COLUMNS": "200"})
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        assert runner.invoke(main, ["sync", "--full"]).exit_code == 0
    result = runner.invoke(main, ["evaluate", "--period", "2026", "--as-of", "2026-11-21"])
    assert result.exit_code == 0, result.output
    return path, runner


def invoke(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(main, ["--lang", "en", *args])
    assert result.exit_code == 0, result.output
    return result.output


def stored(path: Path) -> dict[str, tuple]:
    engine = connect(f"sqlite:///{path}/store.db")
    with engine.connect() as c:
        found = {r.unit_code: (r.completion_rate, r.hours_per_cadre, r.required_courses, r.organised_trainings,
                               r.source_file) for r in c.execute(sa.select(unit_targets))}
    engine.dispose()
    return found


def test_the_template_lists_the_units_and_an_import_replaces_the_periods_targets(evaluated):
    path, runner = evaluated
    invoke(runner, "targets", "template", "--output", str(path / "targets.csv"), "--lang", "zh_CN")
    rows = list(csv.reader(io.StringIO((path / "targets.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["单位代码", "单位名称", "目标单位达标率（%）", "目标人均学时", "目标必修课程完成率（%）",
                       "目标自主举办培训期数"]
    assert len(rows) == 16 and {r[0] for r in rows[1:]} == {f"UNIT-{n:03d}" for n in range(1, 16)}
    rows[1][2:6], rows[2][2:6] = ["90", "40", "85%", "1"], ["", "30", "", ""]
    text = "\r\n".join(",".join(r) for r in rows[:3]) + "\r\n"
    (path / "targets.csv").write_bytes(text.encode("gb18030"))  # as a spreadsheet program in China saves it
    out = invoke(runner, "targets", "import", str(path / "targets.csv"), "--period", "2026")
    assert "Targets of 2 units imported for the 2026 period (0 earlier rows replaced)." in out
    assert stored(path) == {rows[1][0]: (0.9, 40.0, 0.85, 1, "targets.csv"),
                            rows[2][0]: (None, 30.0, None, None, "targets.csv")}
    # Excel: 85% typed in a cell is 0.85 with a percent format, read as 85%
    book = Workbook()
    sheet = book.active
    sheet.append(["unit code", "target completion rate (%)", "target share completing required courses (%)"])
    sheet.append([rows[3][0], 0.8, 0.85])
    sheet["B2"].number_format = "0%"
    sheet["C2"].number_format = "0.0%"
    book.save(path / "targets.xlsx")
    out = invoke(runner, "targets", "import", str(path / "targets.xlsx"), "--period", "2026")
    assert "Targets of 1 units imported for the 2026 period (2 earlier rows replaced)." in out
    assert stored(path) == {rows[3][0]: (0.8, None, 0.85, None, "targets.xlsx")}


def test_a_bad_file_imports_nothing_and_says_every_line(evaluated):
    path, runner = evaluated
    before = stored(path)
    (path / "bad.csv").write_text("unit code,target hours per cadre\nUNIT-001,-4\nUNIT-404,30\nUNIT-002,abc\n",
                                  encoding="utf-8")
    result = runner.invoke(main, ["--lang", "en", "targets", "import", str(path / "bad.csv"), "--period", "2026"])
    assert result.exit_code == 2
    assert result.output.splitlines()[1:] == [f"  {path / 'bad.csv'}:2: hours per cadre -4 is negative",
                                              f"  {path / 'bad.csv'}:4: hours per cadre 'abc' is not a number"]
    (path / "ghost.csv").write_text("unit code,target hours per cadre\nUNIT-001,4\nUNIT-404,30\n", encoding="utf-8")
    result = runner.invoke(main, ["--lang", "en", "targets", "import", str(path / "ghost.csv"), "--period", "2026"])
    assert result.exit_code == 2 and "ghost.csv:3: unit code 'UNIT-404' is not a unit in the mirror" in result.output
    result = runner.invoke(main, ["--lang", "en", "targets", "import", str(path / "ghost.csv"), "--period", "26x"])
    assert result.exit_code == 2 and "is not a period: give its year" in result.output
    assert stored(path) == before


def test_the_assessment_report_in_every_format(evaluated):
    path, runner = evaluated
    (path / "t.csv").write_text("unit code,target completion rate (%),target hours per cadre\n"
                                "UNIT-001,0,5\nUNIT-002,100,5\n", encoding="utf-8")
    invoke(runner, "targets", "import", str(path / "t.csv"), "--period", "2026")
    for fmt in ("html", "csv", "xlsx", "json", "pdf"):
        assert "Wrote" in invoke(runner, "report", "assessment", "--period", "2026", "--format", fmt, "--output",
                                 str(path / f"assessment.{fmt}"))
    html = (path / "assessment.html").read_text(encoding="utf-8")
    assert "Year-end target assessment of units" in html and "Datang Town Government" in html
    assert (path / "assessment.pdf").read_bytes().startswith(b"%PDF")
    sheet = load_workbook(path / "assessment.xlsx")["Assessment"]
    header = [c.value for c in sheet[2]]
    assert header[:5] == ["Rank", "Unit code", "Unit", "Score (of 100)", "Completion rate: Target value"]
    rows = {r[1]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    first = rows["UNIT-001"]
    assert first[2] == "Datang Town Government" and first[0] == 1 and first[3] == 100.0
    assert first[4] == 0 and all(isinstance(first[n], int | float) for n in (3, 5, 7))  # numbers, not text
    assert first[6] == "met"
    assert sheet.cell(row=3, column=5).number_format == "0.0%"
    assert rows["UNIT-003"][3] == "no targets" and rows["UNIT-003"][0] is None
    one = invoke(runner, "report", "assessment", "--unit", "Xinxing Town Government", "--format", "json")
    assert '"code": "UNIT-002"' in one and "UNIT-001" not in one

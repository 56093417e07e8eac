"""`moodle-bridge check-promotion`: candidates from the command line and a file, every bad line of the file named
(exit 2, nothing checked), the answer as a table, CSV, Excel (numbers as numbers) and PDF."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from click.testing import CliRunner

from moodle_bridge.cli import main
from moodle_bridge.rules.loader import parse_rules
from moodle_bridge.services.evaluation import evaluate
from moodle_bridge.store import connect, upgrade

from ..results.test_promotion import RULES, fill, joins_later


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A configuration and its rules beside a store whose 2025 was evaluated on its last day (E joined after)."""
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "moodle_bridge.toml").write_text(
        f'[moodle]\nurl = "https://moodle.example"\n[rules]\nfile = "{tmp_path / "rules.yaml"}"\n'
        f'[store]\nurl = "sqlite:///{tmp_path / "store.db"}"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")  # rich tables: no wrapping in the captured output
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    fill(engine)
    evaluate(engine, parse_rules(RULES), "2025", date(2025, 12, 31))
    joins_later(engine)
    engine.dispose()
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check-promotion", "--as-of", "2026-03-01", *args])
    return result.exit_code, result.output


def test_ids_and_a_file_give_a_table_of_who_meets_the_requirements(folder):
    (folder / "candidates.csv").write_text("序号,干部编号,姓名,拟任职务\n1,B,王力,\n2,C,Jun Zhao,\n3,ZZZ,某人,\n",
                                           encoding="utf-8-sig")
    code, out = run("A", "D", "--file", "candidates.csv")
    assert code == 0, out
    assert "5 candidates: 2 meet the training requirements, 2 do not, 1 cannot be told." in out
    assert "overdue required course: not done: Party History; due 2025-06-30" in out
    assert "The list names “王力”; the cadre with this id is “Li Wang”." in out
    assert "Not found: no cadre has this id" in out and "Checked on 2026-03-01; 2025: evaluation 1 as of" in out


def test_an_excel_list_is_read_as_a_csv_one(folder):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Cadre ID", "Name"])
    book.active.append(["A", "Tao Ma"])
    book.active.append(["E", None])
    book.save(folder / "candidates.xlsx")
    code, out = run("--file", "candidates.xlsx", "--format", "csv")
    assert code == 0, out
    rows = list(csv.reader(io.StringIO(out.lstrip("\ufeff"))))
    assert rows[0][:6] == ["No.", "Cadre ID", "Name", "Unit", "Cadre rank", "2025: status"]
    assert [r[1] for r in rows[1:]] == ["A", "E"] and rows[1][8] == "yes" and rows[2][8] == "cannot tell"


def test_every_bad_line_of_the_file_is_named_and_nothing_is_checked(folder):
    (folder / "bad.csv").write_text("cadre id,name\nA,Tao Ma\n,Li\nB,Wang\nB,Zhang\n", encoding="utf-8")
    code, out = run("--file", "bad.csv")
    assert code == 2
    assert out.splitlines() == ["Nothing was checked: the candidates' list has problems:",
                                "  bad.csv:3: no cadre id (name “Li”)",
                                "  bad.csv:5: cadre id B is given again with another name (“Zhang”; line 4: “Wang”)"]
    (folder / "no_header.csv").write_text("A\nB\n", encoding="utf-8")
    code, out = run("--file", "no_header.csv")
    assert code == 2 and "no_header.csv:1: no column headed “cadre id” or “干部编号”" in out


@pytest.mark.parametrize(("args", "said"), [
    ((), "Give the candidates: cadre ids, or --file with a column of cadre ids."),
    (("A", "--format", "xlsx"), "--format xlsx needs --output FILE"),
    (("A", "--file", "missing.csv"), "does not exist"),
])
def test_usage_mistakes_exit_2(folder, args, said):
    code, out = run(*args)
    assert code == 2 and said in out


def test_excel_for_the_personnel_file_keeps_numbers_as_numbers(folder):
    from openpyxl import load_workbook

    code, out = run("A", "C", "ZZZ", "--format", "xlsx", "-o", "check.xlsx")
    assert code == 0 and "Wrote check.xlsx" in out
    sheet = load_workbook(folder / "check.xlsx").active
    header = [cell.value for cell in sheet[2]]  # the caption is the first row
    assert header == ["No.", "Cadre ID", "Name", "Unit", "Cadre rank", "2025: status", "2025: hours",
                      "2025: hours required", "Meets the training requirements", "Why not, or what to watch",
                      "Make-up owed (hours)", "Make-up due", "Make-up"]
    a, c, unknown = ([cell.value for cell in row] for row in sheet.iter_rows(min_row=3))
    assert a[:9] == [1, "A", "Tao Ma", "Town One", "Section chief", "compliant", 20, 20, "yes"]
    assert c[6:12] == [10, 20, "no", "2025: insufficient hours: 10 of 20 hours in 2025", 10,
                       datetime(2026, 7, 1)]
    assert unknown[1:9] == ["ZZZ", None, None, None, None, None, None, "cannot tell"]  # nothing known: empty cells


def test_a_pdf_for_the_personnel_file(folder):
    pytest.importorskip("weasyprint")
    code, out = run("A", "B", "--format", "pdf", "-o", "check.pdf", "--lang", "zh_CN")
    assert code == 0, out
    assert (folder / "check.pdf").read_bytes().startswith(b"%PDF")

"""The one CSV and Excel writer: a BOM, numbers kept numbers, Moodle text never a formula or a link."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from moodle_bridge.reports import export

SHEET = export.Sheet("Flagged cadres", ["Name", "Hours", "Rate", "Change"], [
    ["=HYPERLINK(\"http://x\")", 89.5, export.Shown(0.5, "50.0%", "0.0%"), export.Shown(-2.5, "-2.5", "+0.0;-0.0")],
    ["王芳", 12, "-", ""]])


def test_csv_has_a_bom_and_neutralised_formulas():
    raw = export.csv_bytes([SHEET])
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows == [["Name", "Hours", "Rate", "Change"], ["'=HYPERLINK(\"http://x\")", "89.5", "50.0%", "'-2.5"],
                    ["王芳", "12", "'-", ""]]  # a lone '-' too, as ever


def test_several_tables_in_one_csv_each_under_its_title():
    rows = list(csv.reader(io.StringIO(export.csv_bytes([SHEET, export.Sheet("Empty", ["a"])]).decode("utf-8-sig"))))
    assert rows[0] == ["Flagged cadres"] and rows[4:] == [[], ["Empty"], ["a"]]


def test_excel_keeps_numbers_numbers_and_neutralises_formulas(tmp_path):
    for book in (load_workbook(io.BytesIO(export.xlsx_bytes([SHEET]))),
                 load_workbook(export.write(([SHEET]), tmp_path / "flags.xlsx"))):
        sheet = book.active
        assert sheet.title == "Flagged cadres" and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:D3"
        assert [c.value for c in sheet[1]] == ["Name", "Hours", "Rate", "Change"] and sheet["A1"].font.b
        name, hours, rate, change = sheet[2]
        assert (name.value, name.data_type) == ("'=HYPERLINK(\"http://x\")", "s")
        assert (hours.value, hours.data_type) == (89.5, "n")
        assert (rate.value, rate.data_type, rate.number_format) == (0.5, "n", "0.0%")
        assert (change.value, change.data_type) == (-2.5, "n")
        assert [c.value for c in sheet[3]][:2] == ["王芳", 12]


def test_write_picks_csv_unless_the_path_says_xlsx(tmp_path):
    assert export.write([SHEET], tmp_path / "flags.csv").read_bytes() == export.csv_bytes([SHEET])


def test_excel_never_turns_moodle_text_into_formulas_or_links(tmp_path):
    tables = [export.Sheet("T", ["a"], [["{=SUM(A1)}"], ["http://evil.example/x"], ["file:///etc/passwd"], ["-1+1"],
                                        ["\tX"]])]
    export.write_xlsx(tables, tmp_path / "x.xlsx")
    sheet = load_workbook(tmp_path / "x.xlsx").active
    values = [sheet.cell(row=r, column=1).value for r in range(2, 7)]
    assert values == ["'{=SUM(A1)}", "http://evil.example/x", "file:///etc/passwd", "'-1+1", "'\tX"]
    assert all(sheet.cell(row=r, column=1).hyperlink is None for r in range(2, 7))
    assert all(sheet.cell(row=r, column=1).data_type == "s" for r in range(2, 7))


def test_json_of_dataclasses_and_dates():
    assert export.json_bytes([SHEET]).decode().count("王芳") == 1

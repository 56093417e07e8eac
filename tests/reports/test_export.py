"""The one CSV and Excel writer: a BOM, numbers kept numbers, Moodle text never a formula or a link; a caption, a total
row and print set-up in Excel."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from moodle_bridge.reports import cells, export

SHEET = export.Sheet("Flagged cadres", ["Name", "Hours", "Rate", "Change"], [
    ["=HYPERLINK(\"http://x\")", 89.5, export.Shown(0.5, "50.0%", "0.0%"), export.Shown(-2.5, "-2.5", "+0.0;-0.0")],
    ["王芳", 12, "-", ""]])


def test_csv_has_a_bom_and_neutralised_formulas():
    raw = export.csv_bytes([SHEET])
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    # the guard is for text: a figure's own text (-2.5) reads as a number again; a text '-' is guarded, as ever
    assert rows == [["Name", "Hours", "Rate", "Change"], ["'=HYPERLINK(\"http://x\")", "89.5", "50.0%", "-2.5"],
                    ["王芳", "12", "'-", ""]]


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


TABLE = export.Sheet("Units", ["Rank", "Unit", "Rate", "Change"],
                     [[1, "+Town", cells.rate_cell(0.5), cells.change_cell(2.5)],
                      ["", "Bureau", cells.rate_cell(None), cells.change_cell(None)]],
                     footer=[["Total", "", cells.rate_cell(0.333), cells.change_cell(-0.4)]],
                     caption="Units ranked (2026 period, as of 2026-11-02)")


def test_excel_caption_total_row_and_print_set_up():
    sheet = load_workbook(io.BytesIO(export.xlsx_bytes([TABLE]))).active
    assert sheet["A1"].value == "Units ranked (2026 period, as of 2026-11-02)" and "A1:D1" in sheet.merged_cells
    assert [c.value for c in sheet[2]] == ["Rank", "Unit", "Rate", "Change"]
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == "A2:D4"  # the total row is out of the filter
    assert sheet["B3"].value == "'+Town"  # text guarded; figures not
    total = sheet[5]
    assert [c.value for c in total] == ["Total", None, 0.333, -0.4] and all(c.font.b for c in total[:1] + total[2:])
    assert (total[2].data_type, total[2].number_format) == ("n", "0.0%")
    assert (sheet["C4"].value, sheet["C4"].data_type) == ("-", "s")  # no rate: its text, unguarded
    setup = sheet.page_setup
    assert (setup.orientation, setup.paperSize, setup.fitToHeight) == ("landscape", 9, 0)  # A4, as many pages down
    assert setup.fitToWidth in (None, 1)  # one page wide (1 is the file format's default, left out when written)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_title_rows == "$2:$2"


def test_csv_keeps_the_header_first_and_the_total_last():
    rows = list(csv.reader(io.StringIO(export.csv_bytes([TABLE]).decode("utf-8-sig"))))
    assert rows == [["Rank", "Unit", "Rate", "Change"], ["1", "'+Town", "50.0%", "+2.5"], ["", "Bureau", "-", "-"],
                    ["Total", "", "33.3%", "-0.4"]]


def test_a_portrait_sheet_without_a_caption_starts_with_its_header():
    sheet = load_workbook(io.BytesIO(export.xlsx_bytes([export.Sheet("T", ["a"], [[1]], landscape=False)]))).active
    assert sheet["A1"].value == "a" and sheet.freeze_panes == "A2" and sheet.print_title_rows == "$1:$1"
    assert sheet.page_setup.orientation == "portrait"


def test_chinese_text_makes_wider_columns():
    table = export.Sheet("T", ["a", "b"], [["单位名称很长", "abcdef"]])
    sheet = load_workbook(io.BytesIO(export.xlsx_bytes([table]))).active
    assert sheet.column_dimensions["A"].width > sheet.column_dimensions["B"].width

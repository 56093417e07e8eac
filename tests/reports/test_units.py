"""The units table staff use: ranked, a total row, numbers as numbers in Excel with a title row and print set-up,
the pictures in the HTML."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from moodle_bridge.i18n import set_language
from moodle_bridge.services.report_files import write_report
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import OPEN, evaluation_flags, evaluation_results, evaluations

from ..conftest import count_flags

NOW = datetime(2026, 11, 21, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"
# (unit code, unit name, statuses now, statuses at the evaluation before)
UNITS = [("U1", "Datang Town", {"compliant": 1, "at_risk": 25}, {"at_risk": 26}),  # 3.8%, +3.8
         ("U2", "Finance Bureau", {"compliant": 1, "non_compliant": 1, "exempt": 1}, {"compliant": 1, "at_risk": 1}),
         ("U3", "Party School", {"compliant": 4}, {"compliant": 4}),
         ("U4", "Archives", {"exempt": 2}, {"exempt": 2})]


def statuses(which: int) -> list[tuple[str, str, str]]:
    return [(code, name, status) for code, name, *both in UNITS for status, n in both[which].items()
            for _ in range(n)]


@pytest.fixture
def engine(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    with engine.begin() as c:
        for number, as_of, cadres in ((1, date(2026, 6, 30), statuses(1)), (2, date(2026, 11, 20), statuses(0))):
            c.execute(sa.insert(evaluations).values(id=number, period="2026", as_of=as_of, rules_hash="r",
                                                    exemptions_hash="e", created_at=NOW, counts={}))
            c.execute(sa.insert(evaluation_results), [
                {"since_evaluation": number, "period": "2026", "until_evaluation": 2 if number == 1 else OPEN,
                 "cadre_id": f"{code}-{i}", "user_id": i, "name": f"Cadre {i}", "unit_code": code, "unit_name": name,
                 "groups": ["township"], "status": status, "hours_online": 30, "hours_offline": 12.5,
                 "required_hours": 90.0}
                for i, (code, name, status) in enumerate(cadres)])
        c.execute(sa.insert(evaluation_flags), [
            {"since_evaluation": 2, "period": "2026", "cadre_id": f"U1-{i}", "kind": "insufficient_hours",
             "group_name": "township", "rule": "r", "evidence": {"required": 90, "achieved": 42.5, "period": "2026"}}
            for i in range(13)])
        count_flags(c)
    yield engine
    engine.dispose()


def test_the_units_excel_has_numbers_a_total_row_a_title_row_and_print_set_up(engine, tmp_path):
    sheet = load_workbook(write_report(engine, "units", "xlsx", tmp_path / "units.xlsx")).active
    assert sheet["A1"].value == "Units ranked by completion rate (2026 period, as of 2026-11-20)"
    headers = [c.value for c in sheet[2]]
    assert headers[:4] == ["Rank", "Unit code", "Unit", "Cadres"]
    column = {name: headers.index(name) for name in headers}
    rows = [list(row) for row in sheet.iter_rows(min_row=3)]
    assert [(r[0].value, r[2].value) for r in rows] == [
        (1, "Party School"), (2, "Finance Bureau"), (3, "Datang Town"), (None, "Archives"), ("Total", None)]
    rate, change = column["Completion rate"], column["Change since the last evaluation (points)"]
    town = rows[2]
    assert (town[rate].value, town[rate].data_type, town[rate].number_format) == (0.038, "n", "0.0%")
    assert (town[change].value, town[change].data_type, town[change].number_format) == (3.8, "n", "+0.0;-0.0;0.0")
    assert (rows[1][change].value, rows[0][change].value) == (0.0, 0.0)  # 50% both times; 100% both times
    assert (rows[3][rate].value, rows[3][rate].data_type) == ("-", "s")  # nobody counted: no rate, unranked
    per_cadre, flags = column["Hours per cadre"], column["Flags per 100 cadres"]
    assert (town[per_cadre].value, town[per_cadre].number_format) == (42.5, "0.0")
    assert town[flags].value == 50.0  # 13 flags, 26 cadres
    total = rows[4]
    # 6 compliant of 32 counted (18.75%: 18.8%); before 5 of 32 (15.6%): +3.2 points; 13 flags of 35 cadres
    assert [total[column[h]].value for h in ("Cadres", "Compliant", "Exempt")] == [35, 6, 3]
    assert (total[rate].value, total[change].value, total[flags].value) == (0.188, 3.2, 37.1)
    assert total[0].font.b and total[rate].font.b
    assert sheet.freeze_panes == "A3" and sheet.print_title_rows == "$2:$2"
    setup = sheet.page_setup
    assert (setup.orientation, setup.paperSize, setup.fitToHeight) == ("landscape", 9, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth in (None, 1)


def test_the_units_csv_reads_like_the_page(engine, tmp_path):
    raw = write_report(engine, "units", "csv", tmp_path / "units.csv").read_bytes()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Rank", "Unit code", "Unit"]  # the header first: no title row in CSV
    town = next(r for r in rows if r[2] == "Datang Town")
    assert town[0] == "3" and "3.8%" in town and "+3.8" in town and "3.9%" not in town
    assert rows[-1][0] == "Total" and "18.8%" in rows[-1] and "+3.2" in rows[-1]


def test_the_units_html_has_the_ranking_the_total_and_both_pictures(engine, tmp_path):
    page = write_report(engine, "units", "html", tmp_path / "units.html").read_text()
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    svgs = [ET.fromstring(svg) for svg in re.findall(r"<svg.*?</svg>", page, re.S)]
    bars, trend = svgs
    assert {r.get("class") for r in bars.iter(f"{SVG}rect")} >= {"compliant", "at_risk", "non_compliant", "exempt"}
    assert len(list(trend.iter(f"{SVG}circle"))) == 2  # two evaluation days
    assert re.search(r'<tr class="total"><td colspan="3">Total</td><td class="n">35</td>', page)


def test_the_units_report_in_chinese(engine, tmp_path):
    set_language("zh_CN")
    try:
        page = write_report(engine, "units", "html", tmp_path / "units.html").read_text()
        sheet = load_workbook(write_report(engine, "units", "xlsx", tmp_path / "units.xlsx")).active
    finally:
        set_language("en")
    for words in ("排名", "合计", "人均学时", "达标率", "达标", "进度正常", "预警", "未达标", "免训"):
        assert words in page
    assert sheet["A1"].value.startswith("各单位达标率排名") and "2026 年度" in sheet["A1"].value
    assert [c.value for c in sheet[2]][:3] == ["排名", "单位代码", "单位"]


def test_a_unit_tree_reads_in_tree_order_indented_with_each_units_parent(tmp_path):
    from ..tree_store import tree_store

    store = tree_store(tmp_path / "tree.db")
    book = load_workbook(write_report(store, "units", "xlsx", tmp_path / "tree.xlsx")).active
    rows = [[cell.value for cell in row] for row in book.iter_rows()]
    header = next(n for n, row in enumerate(rows) if "Unit code" in row)
    head = rows[header]
    assert head[:5] == ["Rank", "Unit code", "Unit", "Parent unit", "Cadres"]
    body = rows[header + 1:header + 6]
    assert [(r[1], r[3], r[4]) for r in body] == [
        ("CTY", None, 7), ("T1", "County Government", 4), ("T1-O2", "Datang Town", 1), ("T1-O1", "Datang Town", 2),
        ("T2", "County Government", 2)]
    assert all(isinstance(r[4], int) for r in body)  # cadres: numbers
    assert rows[header + 6][4] == 7  # the total counts each cadre once
    page = write_report(store, "units", "html", tmp_path / "tree.html").read_text()
    assert '<td class="depth-2">Datang Party Office</td>' in page
    assert '<td class="depth-0">County Government</td>' in page
    assert "Units by completion rate, each with the units below it" in page

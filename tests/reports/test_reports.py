"""Reports on a small fixed data set; the numbers are worked out by hand."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from moodle_bridge import results
from moodle_bridge.i18n import set_language
from moodle_bridge.reports import render
from moodle_bridge.services.report_files import write_report
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import OPEN, evaluation_flags, evaluation_results, evaluations

from ..conftest import count_flags

NOW = datetime(2026, 11, 21, tzinfo=UTC)
# (cadre, unit code, unit name, status, online, offline) -- the previous evaluation had B compliant too
CURRENT = [("A", "U1", "Datang Town", "non_compliant", 74, 15), ("B", "U1", "Datang Town", "compliant", 60, 40),
           ("C", "U2", "=HYPERLINK(\"x\")", "at_risk", 60, 0), ("D", "U2", "=HYPERLINK(\"x\")", "exempt", 0, 0),
           ("E", "U2", "=HYPERLINK(\"x\")", "compliant", 10, 90), ("F", "U2", "=HYPERLINK(\"x\")", "suspended", 0, 0),
           ("G", "U3", "<script>alert(1)</script> Bureau", "compliant", 50, 50)]
PREVIOUS = {"A": "non_compliant", "B": "non_compliant", "C": "at_risk", "D": "exempt", "E": "compliant",
            "F": "suspended", "G": "compliant"}


@pytest.fixture
def engine(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    with engine.begin() as c:
        for number, statuses in ((1, PREVIOUS), (2, {row[0]: row[3] for row in CURRENT})):
            c.execute(sa.insert(evaluations).values(id=number, period="2026", as_of=date(2026, 11, number),
                                                    rules_hash="r", exemptions_hash="e", created_at=NOW, counts={}))
            c.execute(sa.insert(evaluation_results), [
                {"since_evaluation": number, "period": "2026", "until_evaluation": 2 if number == 1 else OPEN,
                 "cadre_id": cid, "user_id": i, "name": f"Cadre {cid}", "unit_code": code, "unit_name": name,
                 "groups": ["township"], "status": statuses[cid], "hours_online": online, "hours_offline": offline,
                 "required_hours": 90.0}
                for i, (cid, code, name, _s, online, offline) in enumerate(CURRENT)])
        c.execute(sa.insert(evaluation_flags), [
            {"since_evaluation": 2, "period": "2026", "cadre_id": "A", "kind": "insufficient_hours",
             "group_name": "township", "rule": "groups.township.requirements[0]",
             "evidence": {"required": 90, "achieved": 89, "period": "2026"}},
            {"since_evaluation": 2, "period": "2026", "cadre_id": "C", "kind": "missing_required_course",
             "group_name": "township", "rule": "groups.township.requirements[2]",
             "evidence": {"due": "2026-12-01", "missing": ["Party <b>History</b>"], "required": [], "need": "all"}}])
        count_flags(c)
    yield engine
    engine.dispose()


def test_units_report_numbers(engine):
    with engine.connect() as c:
        report = results.units(c)
    by_code = {u.code: u for u in report.units}
    # U1: A non-compliant, B compliant: 1 of 2 = 50%; before, B was non-compliant: 0% -> +50 points
    assert (by_code["U1"].cadres, by_code["U1"].compliant, by_code["U1"].completion_rate,
            by_code["U1"].change) == (2, 1, 0.5, 50.0)
    # hours per cadre in U1: (74 + 15 + 60 + 40) / 2 = 94.5
    assert by_code["U1"].hours_per_cadre == 94.5
    # U2: C at risk, D exempt, E compliant; F suspended is apart: 1 of (3 - 1) = 50%, unchanged
    assert (by_code["U2"].cadres, by_code["U2"].exempt, by_code["U2"].completion_rate,
            by_code["U2"].change) == (3, 1, 0.5, 0.0)
    assert (by_code["U2"].suspended, by_code["U2"].hours_per_cadre) == (1, 53.3)  # (60 + 100 + 0) / 3


def test_html_escapes_moodle_data_and_draws_the_chart(engine, tmp_path):
    path = write_report(engine, "units", "html", tmp_path / "units.html")
    page = path.read_text()
    assert "<svg" in page and "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Bureau" in page
    flagged = write_report(engine, "flagged", "html", tmp_path / "flagged.html").read_text()
    assert "89 of 90 hours in 2026" in flagged and "Party &lt;b&gt;History&lt;/b&gt;" in flagged


def test_csv_has_a_bom_and_neutralises_formulas(engine, tmp_path):
    raw = write_report(engine, "units", "csv", tmp_path / "units.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Rank", "Unit code", "Unit", "Cadres"]
    assert ["U2", "'=HYPERLINK(\"x\")", "3"] in [r[1:4] for r in rows]
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row[1:3])  # Moodle's text


def test_excel_has_frozen_headers_filters_and_neutralised_cells(engine, tmp_path):
    from openpyxl import load_workbook

    sheet = load_workbook(write_report(engine, "units", "xlsx", tmp_path / "units.xlsx")).active
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref  # under the title row and the header
    names = [sheet.cell(row=r, column=3).value for r in range(3, sheet.max_row + 1)]
    assert "'=HYPERLINK(\"x\")" in names
    assert sheet.column_dimensions["C"].width > 8


def test_chinese_catalogue_in_reports(engine, tmp_path):
    set_language("zh_CN")
    try:
        page = write_report(engine, "units", "html", tmp_path / "units.html").read_text()
        flagged = write_report(engine, "flagged", "html", tmp_path / "flagged.html").read_text()
    finally:
        set_language("en")
    assert "单位" in page and "lang=\"zh-CN\"" in page
    assert "学时不足" in flagged


def test_cadre_file_lists_the_ledger_and_the_flags(engine, tmp_path):
    with engine.connect() as c:
        content = results.cadre_file(c, "A")
    sheets = render.cadre_tables(content)
    assert [t.title for t in sheets] == ["Training file", "Requirements", "Courses and training", "Flags",
                                         "Credits ledger"]
    assert sheets[3].rows[0][:2] == ["insufficient hours", "89 of 90 hours in 2026"]


"""The year-end summary as HTML (one printable page), CSV and Excel: totals, ranking, who is still short, make-up."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from moodle_bridge.i18n import set_language
from moodle_bridge.services.report_files import write_report
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import OPEN, evaluation_flags, evaluation_results, evaluations, rules_files

from ..conftest import count_flags

NOW = datetime(2026, 12, 31, tzinfo=UTC)
RULES_TEXT = (Path(__file__).parents[1] / "rules" / "makeup_rules.yaml").read_text(encoding="utf-8")
# (cadre, name, unit code, unit name, status, hours): 90 hours required of each
CADRES = [("A", "Wang Fang", "U1", "Datang Town", "non_compliant", 40.0),
          ("B", "Li Lei", "U1", "Datang Town", "compliant", 95.0),
          ("C", "Zhao Min", "U2", "Finance Bureau", "compliant", 92.5),
          ("D", "Sun Li", "U2", "Finance Bureau", "exempt", 0.0)]


@pytest.fixture
def engine(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    with engine.begin() as c:
        c.execute(sa.insert(rules_files).values(rules_hash="kept", text=RULES_TEXT, first_used_at=NOW))
        for number, as_of in ((1, date(2026, 6, 30)), (2, date(2026, 12, 31))):
            c.execute(sa.insert(evaluations).values(id=number, period="2026", as_of=as_of, rules_hash="kept",
                                                    exemptions_hash="e", created_at=NOW, counts={}))
            c.execute(sa.insert(evaluation_results), [
                {"since_evaluation": number, "period": "2026", "until_evaluation": 2 if number == 1 else OPEN,
                 "cadre_id": cid, "user_id": i, "name": name, "unit_code": code, "unit_name": unit,
                 "groups": ["township"], "status": status, "hours_online": hours * number / 2, "hours_offline": 0,
                 "required_hours": None if status == "exempt" else 90.0}
                for i, (cid, name, code, unit, status, hours) in enumerate(CADRES)])
        c.execute(sa.insert(evaluation_flags).values(
            since_evaluation=2, period="2026", cadre_id="A", kind="insufficient_hours", group_name="township", rule="r",
            evidence={"required": 90, "achieved": 40, "period": "2026"}))
        count_flags(c)
    yield engine
    engine.dispose()


def test_the_summary_page_has_totals_ranking_who_is_short_make_up_and_a_sign_off(engine, tmp_path):
    page = write_report(engine, "summary", "html", tmp_path / "summary.html").read_text()
    assert "<title>Year-end summary of cadre education and training</title>" in page and "<script" not in page
    for heading in ("County totals", "Units ranked by completion rate", "Cadres still short",
                    "Make-up owed next period", "Prepared by:", "Reviewed by:", "Date:"):
        assert heading in page
    assert page.count("<svg") == 2  # the rate through the period, and the units by status
    assert "The period ends on" not in page  # as of its last day: over
    # 2 compliant of 3 counted: 66.7%; the ranking: the Bureau (1 of 1) before the Town (1 of 2)
    assert "66.7%" in page and page.index("Finance Bureau") < page.index("Datang Town")
    short = page[page.index("Cadres still short"):page.index("Make-up owed next period")]
    assert "Wang Fang" in short and ">50.0<" in short and "40 of 90 hours in 2026" in short
    assert "Li Lei" not in short
    makeup = page[page.index("Make-up owed next period"):]
    assert re.search(r"Wang Fang</td><td[^>]*>50.0</td><td>2027-07-01", makeup)


def test_the_summary_in_excel_and_csv(engine, tmp_path):
    book = load_workbook(write_report(engine, "summary", "xlsx", tmp_path / "summary.xlsx"))
    assert book.sheetnames == ["County totals", "Units", "Still short", "Make-up owed"]
    totals = {row[0].value: row[1] for row in book["County totals"].iter_rows(min_row=3)}
    assert (totals["Completion rate"].value, totals["Completion rate"].number_format) == (0.667, "0.0%")
    assert totals["Cadres"].value == 4 and totals["Hours per cadre"].value == 56.9  # 227.5 / 4, half up
    assert book["County totals"]["A1"].value == (
        "Year-end summary of cadre education and training (2026 period, as of 2026-12-31)")
    assert book["Units"]["A1"].value.startswith("Year-end summary") and book["Units"].print_title_rows == "$2:$2"
    owed = book["Make-up owed"][3]
    assert [c.value for c in owed] == ["Datang Town", "A", "Wang Fang", 50.0, datetime(2027, 7, 1)]
    assert owed[4].number_format == "yyyy-mm-dd"  # a date, not text
    rows = list(csv.reader(io.StringIO(write_report(engine, "summary", "csv", tmp_path / "summary.csv")
                                       .read_bytes().decode("utf-8-sig"))))
    assert ["County totals"] in rows and ["Make-up owed"] in rows and ["Completion rate", "66.7%"] in rows


def test_the_summary_in_chinese(engine, tmp_path):
    set_language("zh_CN")
    try:
        page = write_report(engine, "summary", "html", tmp_path / "summary.html").read_text()
    finally:
        set_language("en")
    for words in ("年度干部教育培训情况汇总", "全县合计", "排名", "合计", "人均学时", "仍未达标的干部",
                  "下一年度需补学的干部", "填表人：", "审核人：", "日期："):
        assert words in page


def test_a_summary_before_the_period_ends_says_so(engine, tmp_path):
    with engine.begin() as c:
        c.execute(sa.update(evaluations).where(evaluations.c.id == 2).values(as_of=date(2026, 11, 20)))
    page = write_report(engine, "summary", "html", tmp_path / "summary.html").read_text()
    assert "The period ends on 2026-12-31: until then a cadre can still make good what is missing" in page

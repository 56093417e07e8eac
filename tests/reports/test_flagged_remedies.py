"""The flagged report says what would fix each flag (a column of its own), in English and in Chinese."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from moodle_bridge import results
from moodle_bridge.i18n import set_language
from moodle_bridge.reports import render
from moodle_bridge.services.report_files import write_report
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import evaluation_flags, evaluation_results, evaluations

from ..conftest import count_flags

HOURS = {"required": 90, "achieved": 70, "period": "2026", "elapsed_share": 0.9, "due": "2026-12-31",
         "open_courses": [{"id": 5, "name": "Rule of <i>law</i>", "hours": 8.0}]}
LATE = {"due": "2026-06-30", "required": ["Party history"], "missing": [], "missing_ids": [], "need": "all",
        "late": [{"course": "Party history", "completed": "2026-07-15"}]}


@pytest.fixture
def engine(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    with engine.begin() as c:
        c.execute(sa.insert(evaluations).values(id=1, period="2026", as_of=date(2026, 11, 21), rules_hash="r",
                                                exemptions_hash="e", created_at=datetime.now(UTC), counts={}))
        c.execute(sa.insert(evaluation_results), [
            {"since_evaluation": 1, "period": "2026", "cadre_id": "A", "user_id": 1, "name": "Cadre A",
             "unit_code": "U1", "unit_name": "Datang Town", "groups": ["township"], "status": "at_risk",
             "hours_online": 50, "hours_offline": 20, "required_hours": 90.0}])
        c.execute(sa.insert(evaluation_flags), [
            {"since_evaluation": 1, "period": "2026", "cadre_id": "A", "kind": kind, "group_name": "township",
             "rule": rule, "evidence": evidence}
            for kind, rule, evidence in (("insufficient_hours", "groups.township.requirements[0]", HOURS),
                                         ("completed_late", "groups.township.requirements[2]", LATE))])
        count_flags(c)
    yield engine
    engine.dispose()


def test_the_flagged_table_has_a_column_of_remedies(engine):
    with engine.connect() as c:
        (sheet,) = render.flagged_tables(results.flagged(c))
    assert sheet.headers[-1] == "What would fix it"
    assert [row[-1] for row in sheet.rows] == [
        "20 more hours by 31 December 2026; open courses that count: “Rule of <i>law</i>” (8 hours)",
        "nothing left to complete; explain the delay to the organisation department"]


def test_the_flagged_html_shows_each_flag_beside_its_remedy(engine, tmp_path):
    page = write_report(engine, "flagged", "html", tmp_path / "flagged.html").read_text()
    assert "<th>What would fix it</th>" in page
    assert "20 more hours by 31 December 2026" in page and "Rule of &lt;i&gt;law&lt;/i&gt;" in page
    assert "Party history completed on 15 July 2026, due by 30 June 2026" in page
    assert page.count('rowspan="2"') == 4  # one cadre, two flags: the cadre's cells span both rows


def test_the_flagged_html_in_chinese(engine, tmp_path):
    set_language("zh_CN")
    try:
        page = write_report(engine, "flagged", "html", tmp_path / "flagged.html").read_text()
    finally:
        set_language(None)
    assert "<th>整改建议</th>" in page and "还差 20 学时，2026 年 12 月 31 日前完成" in page
    assert "逾期完成" in page and "《Party history》于 2026 年 7 月 15 日完成（应于 2026 年 6 月 30 日前完成）" in page

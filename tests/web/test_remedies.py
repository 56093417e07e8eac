"""The review page says what would fix each flag: on the flagged list and on a cadre's page, in both languages."""

from __future__ import annotations

import sqlalchemy as sa

from moodle_bridge.store.schema import evaluation_flags

from ..conftest import count_flags
from .test_access import client_for

HOURS = {"required": 90, "achieved": 15, "period": "2026", "elapsed_share": 0.9, "due": "2026-12-31",
         "open_courses": [{"id": 5, "name": "Rule of <b>law</b>", "hours": 8.0}]}
LATE = {"due": "2026-06-30", "required": ["Party history"], "missing": [], "missing_ids": [], "need": "all",
        "late": [{"course": "Party history", "completed": "2026-07-15"}]}


def _with_new_evidence(engine) -> None:
    """B1's flag as this version writes it, and a late completion; A1 keeps an older version's evidence."""
    with engine.begin() as c:
        c.execute(sa.update(evaluation_flags).where(evaluation_flags.c.cadre_id == "B1").values(evidence=HOURS))
        c.execute(sa.insert(evaluation_flags).values(since_evaluation=1, period="2026", cadre_id="B1",
                                                     kind="completed_late", group_name="township",
                                                     rule="groups.township.requirements[2]", evidence=LATE))
        count_flags(c)


def test_the_flagged_list_shows_each_remedy_and_offers_completed_late(app_engine):
    app, engine = app_engine
    _with_new_evidence(engine)
    page = client_for(app, "admin").get("/flags").text
    assert "What would fix it: 75 more hours</div>" in page  # an older version's evidence: the hours alone
    assert ("What would fix it: 75 more hours by 31 December 2026; open courses that count: "
            "“Rule of &lt;b&gt;law&lt;/b&gt;” (8 hours)") in page
    assert "Party history completed on 15 July 2026, due by 30 June 2026" in page
    assert '<option value="completed_late" >completed late</option>' in page.replace("  ", " ")


def test_a_cadres_page_has_a_column_of_remedies(app_engine):
    app, engine = app_engine
    _with_new_evidence(engine)
    page = client_for(app, "two").get("/cadres/B1").text
    assert "<th>What would fix it</th>" in page
    assert "nothing left to complete; explain the delay to the organisation department</" in page
    assert ("75 more hours by 31 December 2026; open courses that count: “Rule of &lt;b&gt;law&lt;/b&gt;” (8 hours)</"
            in page)


def test_the_remedies_in_chinese(app_engine):
    app, engine = app_engine
    _with_new_evidence(engine)
    client = client_for(app, "two")
    chinese = {"Accept-Language": "zh-CN,zh;q=0.9"}
    flags, cadre = client.get("/flags", headers=chinese).text, client.get("/cadres/B1", headers=chinese).text
    assert ("整改建议：还差 75 学时，2026 年 12 月 31 日前完成；"
            "可选课程：《Rule of &lt;b&gt;law&lt;/b&gt;》（8 学时）") in flags
    assert "<th>整改建议</th>" in cadre and "逾期完成" in cadre and "已完成，无需补学；请向组织部说明逾期原因" in cadre


def test_the_export_has_a_column_of_remedies(app_engine):
    import csv
    import io

    app, engine = app_engine
    _with_new_evidence(engine)
    response = client_for(app, "two").get("/flags/export.csv")
    rows = {row[0]: row for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert rows["Cadre ID"][-1] == "What would fix it"
    assert rows["B1"][-1] == ("75 more hours by 31 December 2026; open courses that count: “Rule of <b>law</b>” "
                              "(8 hours); nothing left to complete; explain the delay to the organisation department")

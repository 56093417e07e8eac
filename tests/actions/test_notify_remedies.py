"""The notify message tells the cadre what would fix each flag and by when (the due date travels with it)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from moodle_bridge.actions import notify
from moodle_bridge.i18n import set_language
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import action_log, evaluation_flags, evaluation_results, evaluations, mirror_users
from tests.cli.test_rules import invoke, site_dir  # noqa: F401 - the fixture

from ..conftest import count_flags

HOURS = {"required": 90, "achieved": 70, "period": "2026", "elapsed_share": 0.9, "due": "2026-12-31",
         "open_courses": [{"id": 5, "name": "Rule of law", "hours": 8.0}]}
COURSE = {"due": "2026-06-30", "required": ["Party history"], "missing": ["Party history"], "missing_ids": [7],
          "need": "all", "overdue": True}


@pytest.fixture
def engine(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    with engine.begin() as c:
        c.execute(sa.insert(evaluations).values(id=1, period="2026", as_of=date(2026, 11, 21), rules_hash="r",
                                                exemptions_hash="e", created_at=datetime.now(UTC), counts={}))
        c.execute(sa.insert(evaluation_results), [
            {"since_evaluation": 1, "period": "2026", "cadre_id": "A", "user_id": 11, "name": "Li <b>Ming</b>",
             "unit_code": "U1", "unit_name": "Datang Town", "groups": ["township"], "status": "non_compliant",
             "hours_online": 50, "hours_offline": 20, "required_hours": 90.0}])
        c.execute(sa.insert(evaluation_flags), [
            {"since_evaluation": 1, "period": "2026", "cadre_id": "A", "kind": kind, "group_name": "township",
             "rule": f"groups.township.requirements[{i}]", "evidence": evidence}
            for i, (kind, evidence) in enumerate((("insufficient_hours", HOURS),
                                                  ("overdue_required_course", COURSE)))])
        count_flags(c)
    yield engine
    engine.dispose()


def test_the_message_carries_each_remedy_with_its_due_date(engine):
    (message,) = notify.plan(engine, notify.DEFAULT_INTERVAL_DAYS)
    text = message["text"]
    assert "Li &lt;b&gt;Ming&lt;/b&gt;" in text  # Moodle data stays text
    assert ("<li><b>insufficient hours</b>: 70 of 90 hours in 2026<br>What would fix it: 20 more hours by "
            "31 December 2026; open courses that count: “Rule of law” (8 hours)</li>") in text
    assert "What would fix it: complete “Party history” now; the deadline was 30 June 2026" in text
    assert text.rstrip().endswith("<p>Please see to each point above in time. Questions: your organisation "
                                  "department.</p>")  # it reads right after any flag, a late completion's too


def test_the_message_in_chinese(engine):
    set_language("zh_CN")
    try:
        (message,) = notify.plan(engine, notify.DEFAULT_INTERVAL_DAYS)
    finally:
        set_language(None)
    assert "整改建议：还差 20 学时，2026 年 12 月 31 日前完成；可选课程：《Rule of law》（8 学时）" in message["text"]
    assert "尽快完成《Party history》（原定 2026 年 6 月 30 日前完成）" in message["text"]


@pytest.mark.parametrize("lang, chinese", [("zh_cn", True), ("en", False), ("fr", False), (None, False)])
def test_the_message_in_the_cadre_s_moodle_language(engine, lang, chinese):
    """The mirror's user language (zh_cn: Simplified Chinese) wins over the language shown; one moodle_bridge does
    not speak, or none known, leaves the language shown (here English)."""
    with engine.begin() as c:
        c.execute(sa.insert(mirror_users).values(id=11, username="li", suspended=False, cadre_id="A", profile={},
                                                 lang=lang))
    (message,) = notify.plan(engine, notify.DEFAULT_INTERVAL_DAYS)
    assert ("同志，您的培训记录显示：" in message["text"]) is chinese
    assert ("your training record shows:" in message["text"]) is not chinese


def test_a_simulated_site_s_messages_name_the_due_date_and_open_courses(site_dir):  # noqa: F811
    path, _moodle, runner = site_dir
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    invoke(runner, "notify")  # a dry run logs each message's text
    engine = sa.create_engine(f"sqlite:///{path}/store.db")
    with engine.connect() as connection:
        texts = [json.loads(d)["text"] if isinstance(d, str) else d["text"] for d in connection.execute(
            sa.select(action_log.c.detail).where(action_log.c.action == "notify")).scalars()]
    engine.dispose()
    assert texts and all("What would fix it" in t for t in texts)
    assert any("by 31 December 2026; open courses that count: “" in t for t in texts)

"""What a Chinese-speaking reviewer reads: words for every code (states, actions, kinds, roles), times in the
organisation's zone, never a raw code or UTC."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime

import openpyxl
import pytest
import sqlalchemy as sa

from moodle_bridge.store.schema import audit_log, credit_entries, review_events
from moodle_bridge.web import accounts

from .conftest import NOW, PASSWORD
from .test_access import client_for

# The codes the store keeps that staff must never read, and the zone name they must never need.
RAW = ["credit", "reversal", "adjustment", "open", "reviewed", "excused", "message_queued", "login", "login_failed",
       "logout", "export", "review", "prorate", "full", "admin", "reviewer", "insufficient_hours", "training_file",
       "UTC"]
AT = datetime(2026, 11, 21, 0, 30, 5, tzinfo=UTC)  # 08:30:05 in Shanghai


def visible(page: str) -> str:
    """The text a person sees: no tags, no attribute values."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def raw_codes(text: str) -> list[str]:
    return [code for code in RAW if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text)]


@pytest.fixture
def chinese(app_engine):
    """The review store with a ledger, a review history and an audit log, and a Chinese-speaking administrator."""
    app, engine = app_engine
    accounts.add(engine, "zhang", PASSWORD, "admin", [], "zh_CN")
    with engine.begin() as c:
        c.execute(sa.insert(credit_entries), [
            {"cadre_id": "A1", "source": "completion:14:7", "period": "2026", "hours": h, "online": True,
             "earned_at": int(AT.timestamp()), "kind": kind, "reason": None, "detail": {},
             "created_at": NOW}  # posted by the evaluation's time: its file shows nothing posted since
            for kind, h in (("credit", 8.0), ("reversal", -8.0), ("adjustment", 2.0))])
        c.execute(sa.insert(review_events).values(cadre_id="A1", unit_code="U1", kind="message_queued",
                                                  text="请尽快完成", detail={}, staff="one", created_at=AT))
        c.execute(sa.delete(audit_log))
        c.execute(sa.insert(audit_log), [
            {"staff": "one", "action": action, "target": target, "detail": detail, "at": AT}
            for action, target, detail in [
                ("login_failed", None, {}), ("login", None, {}), ("logout", None, {}),
                ("review:excuse", "A1", {"from": "2026-03-01", "to": "2026-08-31", "effect": "prorate"}),
                ("review:reviewed", "A1", {}),
                ("training_file", "A1", {"format": "pdf"}),
                ("export", "xlsx", {"rows": 2, "filters": {"state": "open", "kind": "insufficient_hours",
                                                           "sort": "hours", "order": "desc"}})]])
    return app, engine


def test_the_audit_log_reads_in_words_and_local_time(chinese):
    app, _engine = chinese
    page = client_for(app, "zhang").get("/audit").text
    text = visible(page)
    assert raw_codes(text) == []
    for words in ("操作日志", "登录失败", "退出登录", "核准情况说明", "标记为已审核", "导出培训预警名单",
                  "Excel", "按比例折算", "2026-03-01 至 2026-08-31", "2 行", "审核“待审核”", "预警事项“学时不足”",
                  "排序“学时”", "倒序"):
        assert words in text, words
    assert "查看干部教育培训档案" in text and "PDF" in text
    assert "Project-Id-Version" not in text  # an action on nothing shows nothing, not the catalogue's header
    assert "2026-11-21 08:30:05" in text
    assert page.count('href="/cadres/A1"') == 3  # a review or a training file links its cadre


def test_the_cadre_page_names_ledger_kinds_and_review_events(chinese):
    app, _engine = chinese
    client = client_for(app, "one")
    text = visible(client.get("/cadres/A1", headers={"Accept-Language": "zh-CN"}).text)
    assert raw_codes(text) == []
    assert all(word in text for word in ("学时登记", "冲销", "调整", "已排队发送 Moodle 消息")), text
    assert "2026-11-21 08:30" in text


def test_the_dashboard_and_the_list_show_local_times_and_review_states(chinese):
    app, _engine = chinese
    client = client_for(app, "one")
    dashboard = visible(client.get("/", headers={"Accept-Language": "zh-CN"}).text)
    assert "2026-11-21 08:00" in dashboard and raw_codes(dashboard) == []
    listing = visible(client.get("/flags", headers={"Accept-Language": "zh-CN"}).text)
    assert "培训预警名单" in listing and "待审核" in listing and raw_codes(listing) == []


def test_exports_name_the_review_state(chinese):
    app, _engine = chinese
    client = client_for(app, "zhang")
    rows = list(csv.reader(io.StringIO(client.get("/flags/export.csv").content.decode("utf-8-sig"))))
    review = rows[0].index("审核")
    assert {row[review] for row in rows[1:]} == {"待审核"}
    book = openpyxl.load_workbook(io.BytesIO(client.get("/flags/export.xlsx").content))
    cells = [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "待审核" in cells and "open" not in cells
    assert raw_codes(" ".join(cells)) == []

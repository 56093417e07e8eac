"""The review page's promotion check: an administrator's page (a reviewer is refused as on the audit log), its forms
CSRF-protected, the answer on the page and as CSV, Excel and PDF, each check in the audit log."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from moodle_bridge.rules.loader import parse_rules
from moodle_bridge.services.evaluation import evaluate
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import audit_log
from moodle_bridge.web import accounts, handlers
from moodle_bridge.web.app import create_app

from ..results.test_promotion import RULES, fill
from .conftest import PASSWORD
from .test_access import client_for


class _OnTheFirstOfMarch(datetime):
    """The page's today: 1 March 2026 (the last period ended is 2025)."""

    @classmethod
    def now(cls, tz=None):
        return datetime(2026, 3, 1, 10, tzinfo=tz)


@pytest.fixture
def app_engine(tmp_path, monkeypatch):
    monkeypatch.setattr(handlers, "datetime", _OnTheFirstOfMarch)
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    fill(engine)
    evaluate(engine, parse_rules(RULES), "2025", date(2025, 12, 31))
    accounts.add(engine, "admin", PASSWORD, "admin", [])
    accounts.add(engine, "one", PASSWORD, "reviewer", ["Town One"])
    yield create_app(engine, "test-secret-key"), engine
    engine.dispose()


def _token(client) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/flags").text).group(1)


def _actions(engine) -> list[tuple[str, str | None]]:
    with engine.connect() as c:
        return [(r.action, r.target) for r in c.execute(sa.select(audit_log).order_by(audit_log.c.id))
                if r.action.startswith("promotion")]


def test_an_administrator_checks_candidates_and_downloads_the_answer(app_engine):
    app, engine = app_engine
    client = client_for(app, "admin")
    form = client.get("/promotion")
    assert form.status_code == 200 and 'name="ids"' in form.text and 'href="/promotion"' in form.text
    ids = "A, B\nC\tJun Zhao\nZZZ"
    page = client.post("/promotion", data={"csrf": _token(client), "ids": ids})
    assert page.status_code == 200
    text = page.text
    assert "4 candidates: 1 meet the training requirements, 2 do not, 1 cannot be told." in text
    assert "overdue required course: not done: Party History; due 2025-06-30" in text
    assert "10 hours short in 2025: to be made up by 2026-07-01." in text
    assert 'href="/cadres/A"' in text and 'href="/cadres/ZZZ"' not in text  # a candidate not found has no file
    csv = client.post("/promotion/export.csv", data={"csrf": _token(client), "ids": ids})
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in csv.headers["content-disposition"] and "Town One" in csv.content.decode("utf-8-sig")
    xlsx = client.post("/promotion/export.xlsx", data={"csrf": _token(client), "ids": ids})
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(min_row=3, values_only=True))
    assert [(r[1], r[6], r[7], r[8]) for r in rows] == [("A", 20, 20, "yes"), ("B", 20, 20, "no"),
                                                        ("C", 10, 20, "no"), ("ZZZ", None, None, "cannot tell")]
    drawn = client.post("/promotion/export.pdf", data={"csrf": _token(client), "ids": ids})
    assert drawn.status_code == 200 and drawn.content.startswith(b"%PDF")
    assert _actions(engine) == [("promotion_check", None), ("promotion_check", "csv"), ("promotion_check", "xlsx"),
                                ("promotion_check", "pdf")]


def test_a_reviewer_is_refused_and_sees_no_link(app_engine):
    app, engine = app_engine
    client = client_for(app, "one")
    assert 'href="/promotion"' not in client.get("/flags").text
    assert client.get("/promotion").status_code == 404
    for path in ("/promotion", "/promotion/export.csv"):
        assert client.post(path, data={"csrf": _token(client), "ids": "A"}).status_code == 404
    assert _actions(engine) == []


def test_a_form_without_this_sessions_token_is_refused(app_engine):
    app, engine = app_engine
    client = client_for(app, "admin")
    for data in ({"ids": "A"}, {"ids": "A", "csrf": "forged"}):
        assert client.post("/promotion", data=data).status_code == 403
        assert client.post("/promotion/export.xlsx", data=data).status_code == 403
    assert _actions(engine) == []


def test_a_bad_list_is_said_line_by_line_and_nothing_is_checked(app_engine):
    app, engine = app_engine
    client = client_for(app, "admin")
    page = client.post("/promotion", data={"csrf": _token(client), "ids": "A\n\tLi\nB\tWang\nB\tZhang"})
    assert page.status_code == 400
    assert "the list, line 2: no cadre id (name “Li”)" in page.text
    assert "the list, line 4: cadre id B is given again with another name (“Zhang”; line 3: “Wang”)" in page.text
    assert "A\n\tLi" in page.text  # the list is kept in the form to correct
    assert client.post("/promotion/export.pdf", data={"csrf": _token(client), "ids": ""}).status_code == 400
    assert client.post("/promotion/export.doc", data={"csrf": _token(client), "ids": "A"}).status_code == 404
    assert _actions(engine) == []


def test_the_page_speaks_chinese(app_engine):
    app, _engine = app_engine
    client = client_for(app, "admin")
    page = client.post("/promotion", data={"csrf": _token(client), "ids": "B"},
                       headers={"Accept-Language": "zh-CN"})
    assert 'lang="zh-CN"' in page.text and "未达标" in page.text  # labels the catalogue has

"""Fuzz the review page's query parameters and form fields (web/app.py ``create_app`` on a temporary SQLite store,
with Starlette's test client): page numbers, searches, filters, sort orders, unit codes and cadre ids in the path,
the review form's action, text and dates, the login form's name and password.

Every answer is a page below 500 (a 4xx names the problem on a page); a refused review changes no table, and an
accepted excuse stores dates within the sane window."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from moodle_bridge.store.schema import exemptions
from moodle_bridge.web.app import create_app

from ..web.conftest import PASSWORD, review_store
from .common import HUGE_NUMBERS, ODD_DATES, ODD_TEXT, fuzz, in_window
from .store_counts import counts

PARAM_NAMES = st.sampled_from(["page", "q", "unit", "kind", "group", "state", "sort", "order", "done", "fmt", "x"])
PARAM_VALUES = st.one_of(
    ODD_TEXT, HUGE_NUMBERS, ODD_DATES, st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["1", "0", "-1", "²", "٣", "１", "1.5", "99999999999999999999", "U1", "U2", "u1", "U1%", "%",
                     "_", "insufficient_hours", "township", "open", "reviewed", "excused", "name", "unit", "status",
                     "hours", "desc", "asc", "a" * 20_000]))  # the test client refuses a query over 64 kB
PARAMS = st.lists(st.tuples(PARAM_NAMES | st.text(max_size=5), PARAM_VALUES), max_size=3)
CADRE_IDS = st.one_of(st.sampled_from(["A1", "A2", "B1", "B2", "Z9", "a1", "A1 ", "..", ".", "A1/review", "%00",
                                       "x" * 5000]), ODD_TEXT.filter(lambda t: t != ""))


def seeded_app(tmp_path_factory):
    engine = review_store(tmp_path_factory.mktemp("web") / "store.db")  # the review page tests' store
    return create_app(engine, "fuzz-secret-key-" + "k" * 48), engine


def signed_in(app, username: str) -> TestClient:
    client = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    answer = client.post("/login", data={"csrf": token, "username": username, "password": PASSWORD})
    assert answer.status_code == 303, answer.text[:300]
    return client


def csrf_of(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/flags").text).group(1)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app, engine = seeded_app(tmp_path_factory)
    clients = {"admin": signed_in(app, "admin"), "one": signed_in(app, "one")}
    yield app, engine, clients
    engine.dispose()


@pytest.fixture(scope="module")
def login_site(tmp_path_factory):
    app, engine = seeded_app(tmp_path_factory)
    yield app, engine
    engine.dispose()


def answered(response) -> None:
    """The invariant of every answer: not a crash, and a refusal is a page that says something."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code >= 400:
        assert response.text.strip(), f"an empty {response.status_code}"


@fuzz(200)
@given(st.sampled_from(["admin", "one"]), st.sampled_from(["/flags", "/", "/audit", "/flags/export.csv",
                                                           "/flags/export.xlsx", "/flags/export.pdf",
                                                           "/units/U1/files.html"]), PARAMS)
def test_query_parameters(site, who, path, params):
    _app, _engine, clients = site
    answered(clients[who].get(path, params=params))


@fuzz(150)
@given(st.sampled_from(["admin", "one"]), CADRE_IDS, PARAMS)
def test_cadre_ids_in_the_path(site, who, cadre_id, params):
    _app, _engine, clients = site
    answered(clients[who].get("/cadres/" + quote(cadre_id, safe=""), params=params))


FORM_VALUES = st.one_of(ODD_TEXT, ODD_DATES, HUGE_NUMBERS, st.sampled_from(["", "reviewed", "note", "excuse",
                                                                            "message", "full", "prorate", "2026-03-01",
                                                                            "2026-08-31", "a" * 100_000]))


@fuzz(200)
@given(st.sampled_from(["admin", "one"]), st.sampled_from(["A1", "A2", "B1", "Z9"]),
       st.fixed_dictionaries({"action": st.sampled_from(["reviewed", "note", "excuse", "message"]) | FORM_VALUES},
                             optional={"text": FORM_VALUES, "from": ODD_DATES | FORM_VALUES,
                                       "to": ODD_DATES | FORM_VALUES, "effect": FORM_VALUES, "x": FORM_VALUES}),
       st.booleans())
def test_review_form(site, who, cadre_id, form, with_csrf):
    _app, engine, clients = site
    client = clients[who]
    data = {**form, "csrf": csrf_of(client) if with_csrf else "forged"}
    before = counts(engine)
    response = client.post(f"/cadres/{cadre_id}/review", data=data)
    answered(response)
    after = counts(engine)
    if response.status_code >= 400:
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t] and t != "audit_log"}
        assert not changed, f"refused ({response.status_code}) yet these tables changed: {changed}"
    with engine.connect() as c:
        for start, end in c.execute(sa.select(exemptions.c.start, exemptions.c.end)):
            assert in_window(start) and in_window(end), f"an excuse from {start} to {end} was stored"


@fuzz(100)
@given(st.one_of(st.sampled_from(["admin", "one", "ADMIN", " admin ", "nobody", ""]), ODD_TEXT,
                 st.text(min_size=1000, max_size=3000)),
       st.one_of(st.just(PASSWORD), ODD_TEXT, st.text(max_size=300)), st.booleans())
def test_login_form(login_site, username, password, with_csrf):
    app, _engine = login_site
    client = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    page = client.get("/login")
    answered(page)
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    data = {"username": username, "password": password, "csrf": token.group(1) if token and with_csrf else "forged"}
    response = client.post("/login", data=data)
    answered(response)
    assert response.status_code in (303, 400, 401, 403, 413, 429, 503) or response.status_code < 300

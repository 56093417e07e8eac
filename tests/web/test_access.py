"""Every route's access rules, CSRF, escaping, audit, lock-out: with Starlette's test client."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from moodle_bridge.moodle.token_login import sign_in
from moodle_bridge.simulator.data import DEFAULT_PASSWORD, Site, User
from moodle_bridge.simulator.server import SimulatedMoodle
from moodle_bridge.store.schema import (
    audit_log,
    exemptions,
    mirror_users,
    review_events,
)
from moodle_bridge.web.app import create_app
from moodle_bridge.web.handlers import PER_NAME_FAILURES

from .conftest import CADRES, PASSWORD, review_store

CADRE_USER = "a1"  # cadre A1 (unit U1) in Moodle: signs in with their Moodle name and password


def cadre_moodle(engine) -> SimulatedMoodle:
    """A simulated Moodle holding the four cadres as users (their ids as in the results), mirrored in the store."""
    site = Site(name="Pingshan", now=1_795_000_000)
    for n, (cid, _code, _unit, name) in enumerate(CADRES):
        site.users[n + 10] = User(n + 10, cid.lower(), name, "", f"{cid.lower()}@example.invalid", idnumber=cid)
    with engine.begin() as c:
        c.execute(sa.update(sa.table("evaluation_results", sa.column("user_id"), sa.column("cadre_id"))).values(
            user_id=sa.case({cid: n + 10 for n, (cid, *_rest) in enumerate(CADRES)},
                            value=sa.column("cadre_id"))))
        c.execute(sa.insert(mirror_users), [
            {"id": n + 10, "username": cid.lower(), "idnumber": cid, "suspended": False, "cadre_id": cid,
             "profile": {"cadre_id": cid}} for n, (cid, *_rest) in enumerate(CADRES)])
    return SimulatedMoodle(site)


@pytest.fixture
def app_engine(tmp_path):
    """The review page of the four cadres, with cadres' sign-in against a simulated Moodle's token endpoint."""
    engine = review_store(tmp_path / "store.db")
    moodle = cadre_moodle(engine)
    with moodle.serve() as url:
        yield create_app(engine, "test-secret-key", cadre_sign_in=lambda u, p: sign_in(url, u, p)), engine
    engine.dispose()


def client_for(app, username: str | None, cadre: bool = False) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    if cadre:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/me/login").text).group(1)
        signed_in = client.post("/me/login", data={"csrf": token, "username": username, "password": DEFAULT_PASSWORD})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/me", signed_in.text
    elif username:
        page = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        signed_in = client.post("/login", data={"csrf": token, "username": username, "password": PASSWORD})
        assert signed_in.status_code == 303, signed_in.text
    return client


def csrf_of(client: TestClient, page: str = "/flags") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(page).text).group(1)


# One case per route and kind of caller: (method, path, expected status, check of the body or None).
# The other-unit reviewer is "two" (unit U2) acting on U1's cadre A1.
CASES = {
    "login_page": {"anonymous": ("GET", "/login", 200), "other_unit": ("GET", "/login", 200),
                   "admin": ("GET", "/login", 200)},
    "login": {"anonymous": ("POST", "/login", 401), "other_unit": ("POST", "/login", 401),
              "admin": ("POST", "/login", 401)},  # a wrong password, whoever asks
    "logout": {"anonymous": ("POST", "/logout", 303), "other_unit": ("POST", "/logout", 303),
               "admin": ("POST", "/logout", 303)},
    "dashboard": {"anonymous": ("GET", "/", 303), "other_unit": ("GET", "/", 200), "admin": ("GET", "/", 200)},
    "flags": {"anonymous": ("GET", "/flags", 303), "other_unit": ("GET", "/flags", 200),
              "admin": ("GET", "/flags", 200)},
    "export": {"anonymous": ("GET", "/flags/export.csv", 303), "other_unit": ("GET", "/flags/export.csv", 200),
               "admin": ("GET", "/flags/export.csv", 200)},
    "cadre": {"anonymous": ("GET", "/cadres/A1", 303), "other_unit": ("GET", "/cadres/A1", 404),
              "admin": ("GET", "/cadres/A1", 200)},
    "training_file": {"anonymous": ("GET", "/cadres/A1/file.pdf", 303),
                      "other_unit": ("GET", "/cadres/A1/file.pdf", 404), "admin": ("GET", "/cadres/A1/file.pdf", 200)},
    "unit_files": {"anonymous": ("GET", "/units/U1/files.html", 303),
                   "other_unit": ("GET", "/units/U1/files.html", 404), "admin": ("GET", "/units/U1/files.html", 200)},
    "review": {"anonymous": ("POST", "/cadres/A1/review", 403), "other_unit": ("POST", "/cadres/A1/review", 404),
               "admin": ("POST", "/cadres/A1/review", 303)},
    "audit": {"anonymous": ("GET", "/audit", 303), "other_unit": ("GET", "/audit", 404),
              "admin": ("GET", "/audit", 200)},
    "assessment": {"anonymous": ("GET", "/assessment", 303), "other_unit": ("GET", "/assessment", 200),
                   "admin": ("GET", "/assessment", 200)},
    "assessment_export": {"anonymous": ("GET", "/assessment/export.csv", 303),
                          "other_unit": ("GET", "/assessment/export.csv", 200),
                          "admin": ("GET", "/assessment/export.csv", 200)},
    "promotion_page": {"anonymous": ("GET", "/promotion", 303), "other_unit": ("GET", "/promotion", 404),
                       "admin": ("GET", "/promotion", 200)},
    "promotion": {"anonymous": ("POST", "/promotion", 303), "other_unit": ("POST", "/promotion", 404),
                  "admin": ("POST", "/promotion", 400)},  # no cadre id given: the form again, saying so
    "promotion_export": {"anonymous": ("POST", "/promotion/export.csv", 303),
                         "other_unit": ("POST", "/promotion/export.csv", 404),
                         "admin": ("POST", "/promotion/export.csv", 400)},
    "static": {"anonymous": ("GET", "/static/style.css", 200), "other_unit": ("GET", "/static/style.css", 200),
               "admin": ("GET", "/static/style.css", 200)},
    # A cadre's own page: no staff session reaches it (a staff session is no cadre), and it names no cadre.
    "cadre_login_page": {"anonymous": ("GET", "/me/login", 200), "other_unit": ("GET", "/me/login", 200),
                         "admin": ("GET", "/me/login", 200)},
    "cadre_login": {"anonymous": ("POST", "/me/login", 401), "other_unit": ("POST", "/me/login", 401),
                    "admin": ("POST", "/me/login", 401)},  # a wrong password, checked by Moodle
    "cadre_logout": {"anonymous": ("POST", "/me/logout", 303), "other_unit": ("POST", "/me/logout", 303),
                     "admin": ("POST", "/me/logout", 303)},
    "cadre_home": {"anonymous": ("GET", "/me", 303), "other_unit": ("GET", "/me", 303), "admin": ("GET", "/me", 303)},
    "cadre_training_file": {"anonymous": ("GET", "/me/file.html", 303), "other_unit": ("GET", "/me/file.html", 303),
                            "admin": ("GET", "/me/file.html", 303)},
}
# A signed-in cadre (A1 of unit U1) on every route: their own page and file; every staff route as if signed out.
CADRE_CASES = {"cadre_login_page": 200, "cadre_login": 401, "cadre_logout": 303, "cadre_home": 200,
               "cadre_training_file": 200, "login_page": 200, "login": 401, "logout": 303, "static": 200}
for _route, _cases in CASES.items():
    _method, _path, _status = _cases["admin"]
    _cases["cadre"] = (_method, _path, CADRE_CASES.get(_route, 303))
CALLERS = {"anonymous": None, "other_unit": "two", "admin": "admin", "cadre": CADRE_USER}


def test_every_route_has_an_anonymous_an_other_unit_an_admin_and_a_cadre_case(app_engine):
    app, _engine = app_engine
    names = {route.name for route in app.routes}
    assert names == set(CASES), f"routes without cases: {names - set(CASES)}; stale cases: {set(CASES) - names}"
    for name, cases in CASES.items():
        assert set(cases) == set(CALLERS), name


@pytest.mark.parametrize("route", sorted(CASES))
@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_route_access(app_engine, route, caller):
    app, _engine = app_engine
    method, path, expected = CASES[route][caller]
    client = client_for(app, CALLERS[caller], cadre=caller == "cadre")
    if method == "GET":
        response = client.get(path)
    else:
        token = (csrf_of(client, "/me") if caller == "cadre" else csrf_of(client) if CALLERS[caller]
                 else client.get("/login") and re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text
                                                         ).group(1))
        data = {"csrf": token, "action": "reviewed", "username": "admin", "password": "wrong password!!"}
        if route == "review" and caller == "anonymous":
            data.pop("csrf")  # no session to take a token from: the form is refused before anything else
        response = client.post(path, data=data)
    assert response.status_code == expected, (route, caller, response.text[:300])
    if expected == 303 and route not in ("logout", "review", "cadre_logout"):
        assert response.headers["location"] == ("/me/login" if route.startswith("cadre_") else "/login")
    if caller == "cadre" and expected == 200 and route in ("cadre_home", "cadre_training_file"):
        text = re.sub(r'name="csrf" value="[^"]+"', "", response.text)
        assert "A1" in text and "Alice &lt;b&gt;Wang&lt;/b&gt;" in text  # their own file, escaped
        assert not any(other in text for other in ("A2", "B1", "B2", "Bob Li", "Unit Two"))  # nobody else's
    if route in ("flags", "export", "dashboard") and caller == "other_unit":
        text = re.sub(r'name="csrf" value="[^"]+"', "", response.text)  # a random token may hold "A1"
        assert "A1" not in text and "Unit One" not in text  # only the caller's units
        if route != "dashboard":
            assert "B1" in text


def test_a_reviewer_export_holds_only_their_units(app_engine):
    app, _engine = app_engine
    one = client_for(app, "one").get("/flags/export.csv")
    body = one.content.decode("utf-8-sig")
    assert one.content.startswith(b"\xef\xbb\xbf") and "A1" in body and "B1" not in body and "B2" not in body
    xlsx = client_for(app, "two").get("/flags/export.xlsx")
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(xlsx.content)).active
    ids = [sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)]
    names = [sheet.cell(row=r, column=2).value for r in range(2, sheet.max_row + 1)]
    assert ids == ["B1", "B2"] or sorted(ids) == ["B1", "B2"]
    assert "'=cmd|' /C calc'!A0" in names  # a formula from Moodle data is neutralised


def test_moodle_data_is_escaped(app_engine):
    app, _engine = app_engine
    client = client_for(app, "one")
    page = client.get("/flags").text + client.get("/cadres/A2").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>Wang</b>" not in page and "Alice &lt;b&gt;Wang&lt;/b&gt;" in page


def test_forms_without_the_right_csrf_token_are_refused(app_engine):
    app, engine = app_engine
    client = client_for(app, "one")
    for data in ({"action": "reviewed"}, {"action": "reviewed", "csrf": "forged"}):
        assert client.post("/cadres/A1/review", data=data).status_code == 403
    with engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(review_events)).scalar() == 0


def test_review_actions_excuse_and_audit(app_engine):
    app, engine = app_engine
    client = client_for(app, "one")
    token = csrf_of(client)
    assert client.post("/cadres/A1/review", data={"csrf": token, "action": "reviewed"}).status_code == 303
    noted = client.post("/cadres/A1/review", data={"csrf": token, "action": "note", "text": "called her"})
    assert noted.status_code == 303
    excused = client.post("/cadres/A1/review", data={"csrf": token, "action": "excuse", "text": "medical leave",
                                                     "from": "2026-03-01", "to": "2026-08-31", "effect": "prorate"})
    assert excused.status_code == 303
    assert client.post("/cadres/A1/review", data={"csrf": token, "action": "message",
                                                  "text": "Please finish the course"}).status_code == 303
    client.get("/flags/export.csv?unit=U1")
    page = client.get("/cadres/A1").text
    assert "called her" in page and "medical leave" in page
    with engine.connect() as c:
        exemption = c.execute(sa.select(exemptions)).first()
        actions = [r.action for r in c.execute(sa.select(audit_log).order_by(audit_log.c.id))]
    assert (exemption.cadre_id, exemption.source, exemption.effect, exemption.start) == (
        "A1", "review", "prorate", date(2026, 3, 1))
    assert actions == ["login", "review:reviewed", "review:note", "review:excuse", "review:message", "export"]
    admin = client_for(app, "admin").get("/audit").text
    assert "approved an excuse" in admin and "exported the flagged list" in admin  # words, not the codes
    assert "excused" in client.get("/flags?state=excused").text and "A2" not in client.get("/flags?state=excused").text


def test_repeated_failed_logins_lock_the_account(app_engine):
    app, engine = app_engine
    client = TestClient(app, follow_redirects=False)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    for _ in range(PER_NAME_FAILURES):
        assert client.post("/login", data={"csrf": token, "username": "one", "password": "nope"}).status_code == 401
    right = client.post("/login", data={"csrf": token, "username": "one", "password": PASSWORD})
    assert right.status_code == 401  # locked for a while, even with the right password
    with engine.connect() as c:
        assert [r.action for r in c.execute(sa.select(audit_log))].count("login_failed") == PER_NAME_FAILURES + 1


def test_session_cookie_flags(app_engine, tmp_path):
    app, engine = app_engine
    client = TestClient(app, follow_redirects=False)
    cookie = client.get("/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    secure = TestClient(create_app(engine, "k", https_only=True), base_url="https://testserver")
    assert "secure" in secure.get("/login").headers["set-cookie"].lower()


def test_chinese_follows_the_browser(app_engine):
    app, _engine = app_engine
    client = client_for(app, "one")
    page = client.get("/flags", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert "培训预警名单" in page and 'lang="zh-CN"' in page

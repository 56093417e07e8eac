"""A cadre's own page beyond the route enumeration (test_access.py): sessions kept apart, sign-out, throttling, who
may not sign in, an unreachable Moodle, the cadre's language. Against a simulated Moodle's token endpoint."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from moodle_bridge.moodle.token_login import sign_in
from moodle_bridge.simulator.data import DEFAULT_PASSWORD, User
from moodle_bridge.store.schema import audit_log
from moodle_bridge.web.app import create_app

from .conftest import review_store
from .test_access import CADRE_USER, cadre_moodle, client_for


@pytest.fixture
def site(tmp_path):
    engine = review_store(tmp_path / "store.db")
    moodle = cadre_moodle(engine)
    with moodle.serve() as url:
        yield create_app(engine, "test-secret-key", cadre_sign_in=lambda u, p: sign_in(url, u, p)), engine, moodle
    engine.dispose()


def token(client: TestClient, page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(page).text).group(1)


def attempt(client: TestClient, username: str, password: str):
    return client.post("/me/login", data={"csrf": token(client, "/me/login"), "username": username,
                                          "password": password})


def test_a_cadre_and_a_staff_member_are_never_one_session(site):
    app, _engine, _moodle = site
    client = client_for(app, "admin")
    assert client.get("/flags").status_code == 200 and client.get("/me").status_code == 303
    assert attempt(client, CADRE_USER, DEFAULT_PASSWORD).status_code == 303  # a cadre signs in in the same browser
    assert client.get("/me").status_code == 200
    assert client.get("/flags").headers["location"] == "/login"  # the staff session ended with it
    assert client.get("/cadres/A2").status_code == 303 and client.get("/cadres/A1").status_code == 303
    page = client.get("/login")
    signed = client.post("/login", data={"csrf": re.search(r'name="csrf" value="([^"]+)"', page.text).group(1),
                                         "username": "admin", "password": "correct horse battery"})
    assert signed.status_code == 303 and client.get("/me").headers["location"] == "/me/login"  # and back


def test_signing_out_ends_every_copy_of_the_cadres_cookie_and_forms_need_the_token(site):
    app, engine, _moodle = site
    client = client_for(app, CADRE_USER, cadre=True)
    copy = TestClient(app, follow_redirects=False, cookies=dict(client.cookies))
    assert copy.get("/me").status_code == 200
    assert client.post("/me/logout", data={"csrf": "forged"}).status_code == 403
    assert client.post("/me/logout", data={"csrf": token(client, "/me")}).status_code == 303
    assert copy.get("/me").status_code == 303 and client.get("/me").status_code == 303
    fresh = TestClient(app, follow_redirects=False)
    fresh.get("/me/login")
    assert fresh.post("/me/login", data={"username": CADRE_USER, "password": DEFAULT_PASSWORD}).status_code == 403
    with engine.connect() as c:
        lines = [(r.staff, r.action, r.target) for r in c.execute(sa.select(audit_log).order_by(audit_log.c.id))]
    assert lines == [("a1", "cadre_login", "A1"), ("A1", "cadre_logout", None)]


def test_five_failures_refuse_the_name_here_without_asking_moodle_again(site):
    app, _engine, moodle = site
    client = TestClient(app, follow_redirects=False)
    for _ in range(5):
        assert attempt(client, CADRE_USER, "guess").status_code == 401
    asked = moodle.token_endpoint.requests
    assert attempt(client, CADRE_USER, DEFAULT_PASSWORD).status_code == 401  # right, but refused for a while
    assert moodle.token_endpoint.requests == asked  # Moodle's own lock-out is not brought nearer from here
    assert attempt(client, "b1", DEFAULT_PASSWORD).status_code == 303  # another name from the same address


def test_who_may_not_sign_in(site):
    app, _engine, moodle = site
    moodle.site.users[50] = User(50, "trainer", "Tea", "Cher", "t@example.invalid")  # in Moodle, but no cadre
    moodle.site.suspend_user(11)  # cadre A2
    client = TestClient(app, follow_redirects=False)
    for name in ("trainer", "a2", "nobody"):
        refused = attempt(client, name, DEFAULT_PASSWORD)
        assert refused.status_code == 401 and "Wrong Moodle name or password" in refused.text


def test_an_unreachable_moodle_and_a_page_without_cadres(tmp_path):
    engine = review_store(tmp_path / "store.db")
    down = TestClient(create_app(engine, "k", cadre_sign_in=lambda u, p: sign_in("http://127.0.0.1:9", u, p)),
                      follow_redirects=False)
    answer = attempt(down, CADRE_USER, "anything at all")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "60"
    without = TestClient(create_app(engine, "k"), follow_redirects=False)
    assert without.get("/me/login").status_code == 404 and without.get("/me").status_code == 303
    engine.dispose()


def test_the_page_speaks_the_cadres_moodle_language(site):
    app, _engine, moodle = site
    moodle.site.users[10].lang = "zh_cn"
    client = client_for(app, CADRE_USER, cadre=True)
    page = client.get("/me", headers={"Accept-Language": "en"}).text
    assert 'lang="zh-CN"' in page and "本年度培训要求及完成情况" in page

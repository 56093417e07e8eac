"""A cadre's own page beyond the route enumeration (test_access.py): sessions kept apart, sign-out, throttling, who
may not sign in, an unreachable Moodle, the cadre's language. Against a simulated Moodle's token endpoint."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient
from structlog.testing import capture_logs

from moodle_bridge.i18n import from_moodle
from moodle_bridge.moodle.token_login import SignInRefused, sign_in
from moodle_bridge.simulator.data import DEFAULT_PASSWORD, User
from moodle_bridge.store.schema import audit_log
from moodle_bridge.web.app import create_app

from .conftest import PASSWORD, review_store
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


def test_the_name_is_counted_as_moodle_reads_it_whatever_its_letter_case(site):
    app, _engine, moodle = site
    moodle.token_endpoint.lockout_threshold = 6  # Moodle locks the account at its sixth wrong password
    client = TestClient(app, follow_redirects=False)
    asked = moodle.token_endpoint.requests
    for name in ("A1", "a1", " A1 ", "a1", "A1", "a1", "A1", "A1 ", "a1", "A1", "a1", "A1", "a1", "A1", "a1"):
        assert attempt(client, name, "guess").status_code == 401
    assert moodle.token_endpoint.requests == asked + 5  # five tries for the one account, not five for each spelling
    assert attempt(client, "a1", DEFAULT_PASSWORD).status_code == 401  # refused here for a while
    elsewhere = TestClient(app, follow_redirects=False, client=("10.0.0.2", 50000))
    assert attempt(elsewhere, "A1", DEFAULT_PASSWORD).status_code == 303  # and Moodle has not locked the account


def _misconfigured(moodle, errorcode: str, broken: dict) -> None:
    if errorcode == "enablewsdescription":
        moodle.token_endpoint.web_services = False
    elif errorcode == "servicenotavailable":
        moodle.token_endpoint.services = set()
    else:
        broken["errorcode"] = errorcode  # the simulator does not answer it: Moodle's refusal raised as sign_in does


@pytest.mark.parametrize("errorcode", ["enablewsdescription", "servicenotavailable", "cannotcreatemobiletoken"])
def test_a_moodle_not_set_up_for_cadres_is_no_wrong_password(tmp_path, errorcode):
    engine = review_store(tmp_path / "store.db")
    moodle = cadre_moodle(engine)
    broken: dict[str, str] = {}

    def check(username, password):
        if broken:
            raise SignInRefused("Moodle refused the sign-in", function="login/token.php", errorcode=broken["errorcode"])
        return sign_in(url, username, password)

    with moodle.serve() as url:
        client = TestClient(create_app(engine, "k", cadre_sign_in=check), follow_redirects=False)
        _misconfigured(moodle, errorcode, broken)
        with capture_logs() as logs:
            for _ in range(8):  # more than the name's five failures
                answer = attempt(client, CADRE_USER, DEFAULT_PASSWORD)
                assert answer.status_code == 503 and "Moodle is not set up for it" in answer.text
                assert "Wrong Moodle name or password" not in answer.text
        told = [line for line in logs if line["event"] == "cadre.sign_in_unavailable"]
        assert len(told) == 8 and told[0]["errorcode"] == errorcode and told[0]["log_level"] == "error"
        assert DEFAULT_PASSWORD not in repr(logs)
        moodle.token_endpoint.web_services, moodle.token_endpoint.services = True, {"moodle_mobile_app"}
        broken.clear()
        assert attempt(client, CADRE_USER, DEFAULT_PASSWORD).status_code == 303  # set up again: no throttling left
    with engine.connect() as c:
        assert [r.action for r in c.execute(sa.select(audit_log))] == ["cadre_login"]  # no failed sign-in audited
    engine.dispose()


def test_moodle_in_maintenance_cannot_be_reached_for_a_while(site):
    app, _engine, moodle = site
    moodle.maintenance = True
    client = TestClient(app, follow_redirects=False)
    for _ in range(6):
        answer = attempt(client, CADRE_USER, DEFAULT_PASSWORD)
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "60"
    moodle.maintenance = False
    assert attempt(client, CADRE_USER, DEFAULT_PASSWORD).status_code == 303


def staff_sign_in(client: TestClient, username: str, password: str):
    return client.post("/login", data={"csrf": token(client, "/login"), "username": username, "password": password})


def test_an_addresss_cadre_failures_do_not_lock_its_staff_out_nor_the_reverse(site):
    app, _engine, _moodle = site
    cadres = TestClient(app, follow_redirects=False)
    for n in range(20):
        assert attempt(cadres, f"a{n % 4 + 1}", "guess").status_code == 401
    assert attempt(cadres, "b1", DEFAULT_PASSWORD).status_code == 429  # the address, for cadres
    assert staff_sign_in(TestClient(app, follow_redirects=False), "admin", PASSWORD).status_code == 303
    staff = TestClient(app, follow_redirects=False, client=("10.0.0.3", 50000))
    for n in range(20):
        assert staff_sign_in(staff, f"nobody{n}", "guess").status_code == 401
    assert staff_sign_in(staff, "admin", PASSWORD).status_code == 429
    assert attempt(staff, CADRE_USER, DEFAULT_PASSWORD).status_code == 303


@pytest.mark.parametrize(("lang", "spoken", "accept", "chinese"), [
    ("zh_cn", "zh_CN", "en", True), ("ZH_CN", "zh_CN", "en", True), ("en_us", "en", "zh-CN", False),
    ("zh_tw", None, "en", False), ("zh_tw", None, "zh-CN", True), ("fr", None, "en", False)])
def test_the_page_takes_the_language_as_reminders_do(site, lang, spoken, accept, chinese):
    """i18n.from_moodle decides for both: a language moodle_bridge does not speak (zh_tw: Traditional Chinese) is
    none, and the page follows the browser."""
    app, _engine, moodle = site
    moodle.site.users[10].lang = lang
    assert from_moodle(lang) == spoken
    client = client_for(app, CADRE_USER, cadre=True)
    page = client.get("/me", headers={"Accept-Language": accept}).text
    assert ('lang="zh-CN"' in page) == chinese and ("本年度培训要求及完成情况" in page) == chinese

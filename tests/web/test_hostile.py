"""The review page under a hostile or careless world (issue 11): it stays up, sessions end when they should, sign-ins
give nothing away and lock nobody out for good, every parameter is bounded, every response carries its headers."""

from __future__ import annotations

import re
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from starlette.testclient import TestClient

from moodle_bridge.cli.root import main
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import audit_log, exemptions, staff_accounts
from moodle_bridge.web import accounts, audit
from moodle_bridge.web.app import create_app
from moodle_bridge.web.handlers import AUDIT_PAGE_SIZE, PER_NAME_FAILURES, SIGN_INS_AT_ONCE
from moodle_bridge.web.throttle import Throttle

from .conftest import PASSWORD
from .test_access import client_for, csrf_of

KEY = "k" * 48


class Hasher:
    """The account hasher with its verify and hash watched (argon2's own object allows no patching)."""

    def __init__(self, verify=None, hash_=None) -> None:
        self.real = accounts.HASHER
        self.on_verify, self.on_hash = verify, hash_

    def verify(self, hash_: str, password: str) -> bool:
        if self.on_verify:
            self.on_verify(password)
        return self.real.verify(hash_, password)

    def hash(self, password: str) -> str:
        if self.on_hash:
            self.on_hash(password)
        return self.real.hash(password)


def login_token(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD):
    return client.post("/login", data={"csrf": login_token(client), "username": username, "password": password})


# --- item 3: the page stays up ------------------------------------------------------------------------------------


def test_a_static_file_is_answered_while_sign_ins_are_in_flight(app_engine, monkeypatch):
    app, _engine = app_engine
    release, inside, stuck = threading.Event(), threading.Semaphore(0), []

    def held(password: str) -> None:
        inside.release()
        if not release.wait(timeout=120):
            stuck.append(password)  # it waited out its time: the event loop was blocked behind it

    monkeypatch.setattr(accounts, "HASHER", Hasher(verify=held))
    with TestClient(app, follow_redirects=False) as client, ThreadPoolExecutor(8) as pool:
        token = login_token(client)
        attempts = [pool.submit(client.post, "/login", data={"csrf": token, "username": "one",
                                                             "password": f"wrong {n}"}) for n in range(8)]
        entered = all(inside.acquire(timeout=120) for _ in range(SIGN_INS_AT_ONCE))  # as many as may hash at once
        static = client.get("/static/style.css")
        answered_while_held = not release.is_set() and not stuck
        release.set()
        answers = sorted(a.result().status_code for a in attempts)
    assert entered and static.status_code == 200 and answered_while_held
    assert answers == [401] * SIGN_INS_AT_ONCE + [503] * (8 - SIGN_INS_AT_ONCE)  # the rest refused at once


@pytest.fixture
def held_store(db_url):
    """An app on a store of either kind, and a way to hold a write lock on it as a sync or evaluation does."""
    engine = connect(db_url)
    upgrade(engine)
    accounts.add(engine, "one", PASSWORD, "reviewer", ["U1"])
    app = create_app(engine, KEY, busy_timeout=0.3)

    def hold():
        if engine.dialect.name == "sqlite":
            raw = sqlite3.connect(engine.url.database, isolation_level=None)
            raw.execute("BEGIN EXCLUSIVE")
            return raw.rollback, raw.close
        holder = connect(db_url)
        connection = holder.connect()
        connection.execute(sa.text("LOCK TABLE staff_accounts, audit_log IN ACCESS EXCLUSIVE MODE"))
        return connection.rollback, lambda: (connection.close(), holder.dispose())

    yield app, hold, engine.dialect.name
    engine.dispose()


def test_a_held_write_lock_is_a_503_with_retry_after(held_store):
    app, hold, dialect = held_store
    client = client_for(app, "one")
    anonymous = TestClient(app, follow_redirects=False)
    token = login_token(anonymous)
    release, close = hold()
    try:
        page = client.get("/")
        login = anonymous.post("/login", data={"csrf": token, "username": "one", "password": PASSWORD})
    finally:
        release()
        close()
    # SQLite in WAL: a page only reads, and readers never wait for a writer; a sign-in writes its audit line and
    # must wait. The PostgreSQL holder locks the tables against readers too (as a migration would).
    waited = [login] if dialect == "sqlite" else [page, login]
    if dialect == "sqlite":
        assert page.status_code == 200
    for answer in waited:
        assert answer.status_code == 503 and int(answer.headers["retry-after"]) > 0
        assert "The store is busy" in answer.text
    assert client.get("/").status_code == 200  # and the page is back once the lock is gone


# --- item 4: sessions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ended_by", ["sign_out", "new_password", "disable"])
def test_a_copied_cookie_stops_working_at_once(app_engine, ended_by):
    app, engine = app_engine
    client = client_for(app, "one")
    copy = TestClient(app, follow_redirects=False)
    copy.cookies.set("moodle_bridge_session", client.cookies["moodle_bridge_session"])
    assert copy.get("/flags").status_code == 200
    if ended_by == "sign_out":
        assert client.post("/logout", data={"csrf": csrf_of(client)}).status_code == 303
    elif ended_by == "new_password":
        accounts.set_password(engine, "one", "a brand new password")
    else:
        accounts.disable(engine, "one")
    assert copy.get("/flags").status_code == 303
    assert copy.get("/flags").headers["location"] == "/login"


def test_serve_refuses_a_short_session_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MOODLE_BRIDGE_STORE__URL", f"sqlite:///{tmp_path}/store.db")
    monkeypatch.setenv("MOODLE_BRIDGE_MOODLE__URL", "https://moodle.example.org")
    monkeypatch.setenv("MOODLE_BRIDGE_WEB__SECRET_KEY", "abc")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "too short" in lines[0] and "secrets.token_urlsafe(48)" in lines[0]


# --- item 9: accounts -------------------------------------------------------------------------------------------


def test_every_answer_to_a_sign_in_costs_one_argon2_verify(app_engine, monkeypatch):
    app, engine = app_engine
    accounts.add(engine, "gone", PASSWORD, "reviewer", ["U1"])
    accounts.disable(engine, "gone")
    accounts.add(engine, "held", PASSWORD, "reviewer", ["U1"])
    with engine.begin() as c:
        c.execute(sa.update(staff_accounts).where(staff_accounts.c.username == "held").values(
            locked_until=datetime.now(UTC) + timedelta(minutes=10)))
    accounts.refuse("warm")  # the dummy hash is made once, before the count
    calls = {"verify": 0, "hash": 0}

    def count(name):
        return lambda _password: calls.update({name: calls[name] + 1})

    monkeypatch.setattr(accounts, "HASHER", Hasher(verify=count("verify"), hash_=count("hash")))
    cases = {"unknown": ("nobody", PASSWORD, 401), "disabled": ("gone", PASSWORD, 401),
             "locked": ("held", PASSWORD, 401), "wrong": ("two", "wrong password", 401),
             "right": ("admin", PASSWORD, 303)}
    for case, (name, password, status) in cases.items():
        calls.update(verify=0, hash=0)
        assert sign_in(TestClient(app, follow_redirects=False), name, password).status_code == status, case
        assert calls == {"verify": 1, "hash": 0}, case


def test_failures_are_forgotten_after_the_lock_out_window_and_after_success(app_engine):
    _app, engine = app_engine
    long_ago = datetime.now(UTC) - timedelta(minutes=accounts.LOCK_MINUTES + 1)
    with engine.begin() as c:  # locked a while ago, and the lock has run out
        c.execute(sa.update(staff_accounts).where(staff_accounts.c.username == "one").values(
            failed_logins=accounts.MAX_FAILURES, last_failed_at=long_ago, locked_until=long_ago))
    assert accounts.authenticate(engine, "one", "one wrong guess") is None
    assert accounts.authenticate(engine, "one", PASSWORD) is not None  # one wrong guess does not lock it again
    with engine.begin() as c:
        c.execute(sa.update(staff_accounts).where(staff_accounts.c.username == "one").values(
            failed_logins=accounts.MAX_FAILURES - 1, last_failed_at=datetime.now(UTC)))
    assert accounts.authenticate(engine, "one", PASSWORD) is not None
    assert accounts.authenticate(engine, "one", "one wrong guess") is None  # success reset the count
    with engine.connect() as c:
        row = c.execute(sa.select(staff_accounts).where(staff_accounts.c.username == "one")).one()
    assert (row.failed_logins, row.locked_until) == (1, None)


def test_one_address_cannot_lock_an_account_for_everyone_else(app_engine):
    app, _engine = app_engine
    attacker = TestClient(app, follow_redirects=False, client=("203.0.113.7", 4000))
    for _ in range(PER_NAME_FAILURES):
        assert sign_in(attacker, "one", "guess").status_code == 401
    assert sign_in(attacker, "one").status_code == 401  # this address is refused the name for a while
    owner = TestClient(app, follow_redirects=False, client=("198.51.100.2", 5000))
    assert sign_in(owner, "one").status_code == 303  # the owner, elsewhere, signs in


def test_an_address_with_many_failures_is_refused_at_once(app_engine, monkeypatch):
    app, _engine = app_engine
    app.state.review.per_address = Throttle(3, 900)
    client = TestClient(app, follow_redirects=False)
    for name in ("x1", "x2", "x3"):
        assert sign_in(client, name, "guess").status_code == 401
    monkeypatch.setattr(accounts, "authenticate", lambda *a: pytest.fail("a refused address reached the store"))
    refused = sign_in(client, "admin")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in refused.text


def test_the_throttle_forgets_after_its_window_and_holds_few_keys():
    now = [0.0]
    throttle = Throttle(2, 60, max_keys=3, clock=lambda: now[0])
    throttle.fail("a"), throttle.fail("a")
    assert throttle.retry_after("a") == 60
    now[0] = 61
    assert throttle.retry_after("a") == 0
    for n in range(100):
        throttle.fail(f"flood {n}")
    assert len(throttle) == 3


# --- items 1 and 10: bounds and headers ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/flags?page=²", "/flags?page=99999999999999999999", "/flags?page=-1",
                                  "/flags?q=" + "x" * 50_000, "/flags?unit=" + "u" * 1000, "/audit?page=abc",
                                  "/flags/export.csv?q=" + "x" * 50_000])
def test_a_bad_parameter_is_a_plain_400(app_engine, path):
    app, _engine = app_engine
    answer = client_for(app, "admin").get(path)
    assert answer.status_code == 400 and answer.headers["content-type"].startswith("text/html")
    assert "Traceback" not in answer.text and len(answer.text) < 5000


def test_an_unknown_cadre_id_of_any_length_is_not_found(app_engine):
    app, _engine = app_engine
    assert client_for(app, "admin").get("/cadres/" + "x" * 5000).status_code == 404


def test_an_excuse_outside_the_sane_window_is_refused(app_engine):
    app, engine = app_engine
    client = client_for(app, "one")
    answer = client.post("/cadres/A1/review", data={"csrf": csrf_of(client), "action": "excuse", "text": "forever",
                                                    "from": "0001-01-01", "to": "9999-12-31"})
    assert answer.status_code == 400 and "1990-01-01" in answer.text and "2100-12-31" in answer.text
    with engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(exemptions)).scalar() == 0


def test_the_audit_log_is_bounded_whatever_a_visitor_types(app_engine):
    app, engine = app_engine
    client = TestClient(app, follow_redirects=False)
    assert sign_in(client, "n" * 1_000_000, "p").status_code == 413  # refused before the body is read
    assert sign_in(client, "n" * 5000, "p").status_code == 400
    assert client.post("/login", data={"csrf": "é", "username": "x", "password": "y"}).status_code == 403
    audit.record(engine, "s" * 10_000, "export", "t" * 10_000, filters={"q": "y" * 100_000}, rows=3)
    with engine.connect() as c:
        rows = list(c.execute(sa.select(audit_log)))
    assert len(rows) == 1  # only the record above: the refused sign-ins wrote nothing
    assert len(rows[0].staff) <= 100 and len(rows[0].target) <= 255 and len(str(rows[0].detail)) <= audit.MAX_DETAIL


def test_the_audit_page_is_paged(app_engine):
    app, engine = app_engine
    with engine.begin() as c:
        c.execute(sa.insert(audit_log), [{"staff": "s", "action": f"a{n}", "detail": {}, "at": datetime.now(UTC)}
                                         for n in range(2 * AUDIT_PAGE_SIZE + 10)])
    admin = client_for(app, "admin")
    first, last = admin.get("/audit").text, admin.get("/audit?page=3").text
    assert first.count("<tr>") == AUDIT_PAGE_SIZE + 1 and "page 1 of 3" in first
    assert ">a0<" in last and ">a0<" not in first


def test_every_response_carries_the_security_headers(app_engine):
    app, _engine = app_engine
    admin, anonymous = client_for(app, "admin"), TestClient(app, follow_redirects=False)
    answers = {"login": anonymous.get("/login"), "static": anonymous.get("/static/style.css"),
               "redirect": anonymous.get("/flags"), "missing": admin.get("/nowhere"),
               "export": admin.get("/flags/export.xlsx"), "page": admin.get("/cadres/A1"),
               "bad": admin.get("/flags?page=x")}
    for name, answer in answers.items():
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], name
        assert answer.headers["x-frame-options"] == "DENY", name
        assert answer.headers["x-content-type-options"] == "nosniff", name
        assert answer.headers["referrer-policy"], name
        assert (answer.headers.get("cache-control") == "no-store") == (name != "static"), name


def test_a_refusal_speaks_the_account_language_throughout(app_engine):
    app, engine = app_engine
    accounts.add(engine, "zhang", PASSWORD, "reviewer", ["U1"], "zh_CN")
    answer = client_for(app, "zhang").get("/flags?page=x", headers={"Accept-Language": "en"})
    assert answer.status_code == 400 and "请求无效" in answer.text and "页码应为" in answer.text


def test_an_export_while_an_evaluation_holds_the_store_is_served_and_audited_after(app_engine):
    """SQLite has one writer: an evaluation's transaction (minutes on a province) must not turn exports into
    busy pages; the export's audit line waits in memory and is written with the next line that gets through."""
    _app, engine = app_engine
    app = create_app(engine, KEY, busy_timeout=0.3)
    client = client_for(app, "admin")
    raw = sqlite3.connect(engine.url.database, isolation_level=None)
    raw.execute("BEGIN IMMEDIATE")  # a writer, as an evaluation is; readers go on in WAL
    try:
        exported = client.get("/flags/export.csv")
    finally:
        raw.rollback()
        raw.close()
    assert exported.status_code == 200 and "Alice" in exported.content.decode("utf-8-sig")
    audit.record(engine, "admin", "logout")  # the next line that gets through takes the deferred one with it
    with engine.connect() as connection:
        actions = [r.action for r in connection.execute(sa.select(audit_log.c.action).order_by(audit_log.c.id))]
    assert actions[-2:] == ["export", "logout"]

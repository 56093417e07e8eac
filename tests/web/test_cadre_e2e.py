"""A cadre signs in on a phone-sized screen in a real headless Chromium (Debian's, driven by Playwright for Python),
against the simulated Moodle's token endpoint, and reads their own training file in English and in Chinese.
Screenshots at 375 x 812 go to test-output/."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

import pytest
import responses
import sqlalchemy as sa

from moodle_bridge.config import Settings
from moodle_bridge.moodle import MoodleClient
from moodle_bridge.moodle.token_login import sign_in
from moodle_bridge.services.evaluation import evaluate
from moodle_bridge.services.rules_file import load_rules
from moodle_bridge.simulator.data import DEFAULT_PASSWORD
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.held import held_in
from moodle_bridge.store.schema import audit_log, evaluation_results
from moodle_bridge.sync import Sync, SyncOptions
from moodle_bridge.web.app import create_app

from .test_e2e import CHROMIUM, IN_CI, OUTPUT, ROOT, _free_port

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def served(tmp_path):
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail("Chromium is required in CI (.ci/run installs Debian's chromium)")
        pytest.skip("no Chromium here")
    import uvicorn

    moodle = SimulatedMoodle(generate("small"))
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    settings = Settings(moodle={"url": moodle.siteurl, "completions_report_id": 3})
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        assert Sync(settings, MoodleClient(moodle.siteurl, "simulated-token"), engine).run(SyncOptions()).ok
    result = evaluate(engine, load_rules(ROOT / "config" / "rules.example.yaml"), "2026", date(2026, 11, 21))
    with engine.connect() as c:  # a cadre with something to fix
        row = c.execute(sa.select(evaluation_results.c.cadre_id, evaluation_results.c.user_id).where(
            held_in(evaluation_results, result.evaluation_id), evaluation_results.c.flags > 0).order_by(
            evaluation_results.c.cadre_id)).first()
    with moodle.serve() as moodle_url:  # Moodle's token endpoint, over HTTP
        port = _free_port()
        app = create_app(engine, "e2e-secret", cadre_sign_in=lambda u, p: sign_in(moodle_url, u, p))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        waited = 0.0
        while not server.started:
            assert waited < 300 and thread.is_alive(), "the page server never started"
            time.sleep(0.05)
            waited += 0.05
        yield f"http://127.0.0.1:{port}", engine, moodle, row.cadre_id, moodle.site.users[row.user_id]
        server.should_exit = True
        thread.join(timeout=10)
    engine.dispose()


def test_a_cadre_signs_in_on_a_phone_and_reads_their_own_file(served):
    from playwright.sync_api import sync_playwright

    url, engine, moodle, cadre_id, user = served
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        for lang, locale in (("en", "en-GB"), ("zh_cn", "zh-CN")):
            user.lang = lang  # the cadre's language in Moodle: the page speaks it
            page = browser.new_page(viewport=PHONE, locale=locale, device_scale_factor=2, is_mobile=True,
                                    has_touch=True)
            page.goto(f"{url}/me/login")
            assert page.locator("meta[name=viewport]").count() == 1
            page.fill("input[name=username]", user.username)
            page.fill("input[name=password]", "a wrong password")
            page.click("button[type=submit]")
            assert page.locator("p.warn").count() == 1  # refused by Moodle
            if lang == "en":
                page.screenshot(path=str(OUTPUT / "cadre-login-375.png"), full_page=True)
            page.fill("input[name=username]", user.username)
            page.fill("input[name=password]", DEFAULT_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{url}/me")
            text = page.inner_text("main")
            assert cadre_id in text and user.fullname.split()[0] in page.inner_text("h1")
            assert page.locator("section.requirement").count() >= 1 and page.locator("ul.todo li").count() >= 1
            # The cadre's language: the page's own words (the lead's catalogue adds this page's new ones).
            assert page.locator("html").get_attribute("lang") == ("en" if lang == "en" else "zh-CN")
            heading = "Requirements and standing this period" if lang == "en" else "本年度培训要求及完成情况"
            assert heading in text
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing runs off
            page.screenshot(path=str(OUTPUT / f"cadre-page-{lang}-375.png"), full_page=True)
            assert page.goto(f"{url}/flags").url.endswith("/login")  # a cadre is no staff member
            page.goto(f"{url}/me")
            page.click("header button[type=submit]")  # sign out
            page.wait_for_url(f"{url}/me/login")
            assert page.goto(f"{url}/me").url.endswith("/me/login")
            page.close()
        browser.close()
    assert moodle.token_endpoint.requests == 4  # two refused, two accepted: Moodle checked every password
    with engine.connect() as c:
        actions = [r.action for r in c.execute(sa.select(audit_log).order_by(audit_log.c.id))]
        logged = " ".join(str(r.detail) + str(r.target) for r in c.execute(sa.select(audit_log)))
    assert actions == ["cadre_login_failed", "cadre_login", "cadre_logout"] * 2
    assert DEFAULT_PASSWORD not in logged
    assert (OUTPUT / "cadre-page-en-375.png").stat().st_size > 10_000

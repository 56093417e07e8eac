"""End to end in a real headless Chromium (Debian's, driven by Playwright for Python): sign in,
filter the flagged list, excuse a cadre, export Excel, re-evaluate: the cadre is no longer flagged.
Screenshots of the dashboard and the flagged list go to test-output/."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from datetime import date
from pathlib import Path

import pytest
import responses
import sqlalchemy as sa

from moodle_bridge.config import Settings
from moodle_bridge.moodle import MoodleClient
from moodle_bridge.services.evaluation import evaluate
from moodle_bridge.services.rules_file import load_rules
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.held import held_in
from moodle_bridge.store.schema import evaluation_flags, evaluation_results, evaluations
from moodle_bridge.sync import Sync, SyncOptions
from moodle_bridge.web import accounts
from moodle_bridge.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = ROOT / "test-output"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    rules = load_rules(ROOT / "config" / "rules.example.yaml")
    evaluate(engine, rules, "2026", date(2026, 11, 21))
    accounts.add(engine, "admin", "correct horse battery", "admin", [])
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(engine, "e2e-secret"), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    waited = 0.0
    while not server.started:  # generous: a busy CI machine may take long, but never for ever
        assert waited < 300 and thread.is_alive(), "the page server never started"
        time.sleep(0.05)
        waited += 0.05
    yield f"http://127.0.0.1:{port}", engine, rules
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def test_sign_in_filter_excuse_export_and_the_cadre_is_no_longer_flagged(served, tmp_path):
    from openpyxl import load_workbook
    from playwright.sync_api import sync_playwright

    url, engine, rules = served
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB", accept_downloads=True)
        page.goto(f"{url}/login")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", "correct horse battery")
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/")
        assert "Compliance by unit" in page.content()
        page.screenshot(path=str(OUTPUT / "dashboard.png"), full_page=True)

        page.goto(f"{url}/flags")
        page.select_option("select[name=unit]", index=1)
        page.click("form.filters button[type=submit]")
        page.wait_for_load_state()
        assert "unit=" in page.url
        page.screenshot(path=str(OUTPUT / "flagged-list.png"), full_page=True)
        first = page.locator("table a[href^='/cadres/']").first
        cadre_id = first.inner_text()
        first.click()
        page.wait_for_url(f"**/cadres/{cadre_id}")

        excuse = page.locator("form:has(input[name=action][value=excuse])")
        excuse.locator("input[name=text]").fill("long-term sick leave")
        excuse.locator("input[name=from]").fill("2026-01-01")
        excuse.locator("input[name=to]").fill("2026-12-31")
        excuse.locator("select[name=effect]").select_option("full")
        excuse.locator("button[type=submit]").click()
        page.wait_for_url(f"**/cadres/{cadre_id}?done=excuse")
        assert "long-term sick leave" in page.content()

        page.goto(f"{url}/flags")
        with page.expect_download() as download:
            page.click("a[href^='/flags/export.xlsx']")
        saved = tmp_path / "flags.xlsx"
        download.value.save_as(saved)
        sheet = load_workbook(saved).active
        assert sheet.max_row > 1 and sheet.cell(row=1, column=1).value == "Cadre ID"
        browser.close()

    result = evaluate(engine, rules, "2026", date(2026, 11, 21))  # the next evaluation honours the excuse
    with engine.connect() as c:
        status = c.execute(sa.select(evaluation_results.c.status).where(
            held_in(evaluation_results, result.evaluation_id), evaluation_results.c.cadre_id == cadre_id)).scalar()
        flags = c.execute(sa.select(sa.func.count()).select_from(evaluation_flags).where(
            held_in(evaluation_flags, result.evaluation_id), evaluation_flags.c.cadre_id == cadre_id)).scalar()
        assert c.execute(sa.select(sa.func.count()).select_from(evaluations)).scalar() == 2
    assert (status, flags) == ("exempt", 0)
    assert (OUTPUT / "dashboard.png").stat().st_size > 10_000 and (OUTPUT / "flagged-list.png").stat().st_size > 10_000

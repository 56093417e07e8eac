"""Make the README's pictures from the demo: the units report, a training file (PDF page 1) and the dashboard.

    .venv/bin/python scripts/readme_pictures.py          # writes docs/*.png

Needs Debian's chromium (Playwright drives it; it never downloads a browser) and pdftoppm (poppler-utils) for
the PDF page. A tool for maintainers: nothing in the package or the tests calls it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def main() -> None:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from moodle_bridge.i18n import set_language
    from moodle_bridge.log import configure_logging
    from moodle_bridge.services.demo import review_page, run_demo

    configure_logging("warning", "console")
    folder = Path(tempfile.mkdtemp(prefix="readme-pictures-"))
    set_language("zh_CN")  # the training file as organisation staff print it
    result = run_demo("small", folder, say=lambda line: None)
    ordinary = result.samples[0]
    pdf = folder / f"training-file-{ordinary}.pdf"
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(DOCS / "training-file")], check=True)
    set_language("en")
    english = folder / "en"
    english.mkdir()
    run_demo("small", english, say=lambda line: None)
    page = review_page(english / "store.db", "en")
    server = uvicorn.Server(uvicorn.Config(page.app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.goto((english / "units.html").resolve().as_uri())
        tab.screenshot(path=str(DOCS / "units-report.png"), full_page=True)
        tab.goto(f"http://127.0.0.1:{port}/login")
        tab.fill("input[name=username]", page.username)
        tab.fill("input[name=password]", page.password)
        tab.click("button[type=submit]")
        tab.wait_for_url(f"http://127.0.0.1:{port}/")
        tab.screenshot(path=str(DOCS / "dashboard.png"), full_page=True)
        browser.close()
    server.should_exit = True
    thread.join(timeout=10)
    shutil.rmtree(folder)
    print("wrote", *(DOCS / name for name in ("training-file.png", "units-report.png", "dashboard.png")))


if __name__ == "__main__":
    sys.exit(main())

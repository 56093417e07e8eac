"""The README's first command: ``moodle-bridge demo`` runs the whole job end to end, and with ``--serve`` opens the
review page on its results (here the page's app is taken instead of served: no real server in a test)."""

from __future__ import annotations

import re

from click.testing import CliRunner
from starlette.testclient import TestClient

from moodle_bridge.cli import main, web
from moodle_bridge.reports.plain import FLAG_KINDS, flag_label
from moodle_bridge.services import demo
from moodle_bridge.services.demo import DemoResult


def test_the_demo_runs_end_to_end_then_serves_the_review_page(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    served = {}
    monkeypatch.setattr(web, "run_page", lambda app, host, port: served.update(app=app, host=host, port=port))
    result = CliRunner().invoke(main, ["--lang", "en", "demo", "--serve", "--port", "8765"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "demo-output"
    for name in ("units.html", "units.csv", "units.xlsx", "flagged.html", "flagged.csv", "flagged.xlsx",
                 "summary.html", "actions-dry-run.json", "store.db", "moodle_bridge.toml", "offline_training.csv",
                 "exemptions.csv"):
        assert (out / name).stat().st_size > 0, name
    assert "completions_report_id = 4" in (out / "moodle_bridge.toml").read_text()
    # The recommended report carries the grades: the sync made no per-course grade reads.
    assert "cannot be read" not in result.output and "Sync failed" not in result.output
    text = " ".join(result.output.split())  # the terminal's line breaks aside
    assert "Cadres by status: compliant" in text and "exempt" in text
    assert all(flag_label(kind) in text for kind in FLAG_KINDS)
    # --serve: the page on the demo's store, on 127.0.0.1 and the port asked, with the account printed.
    assert (served["host"], served["port"]) == ("127.0.0.1", 8765)
    account = re.search(r"Sign in as (\S+) with the password (\S+) ", text)
    client = TestClient(served["app"], follow_redirects=False)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    signed_in = client.post("/login", data={"csrf": token, "username": account.group(1),
                                            "password": account.group(2)})
    assert signed_in.status_code == 303, signed_in.text


def test_without_serve_the_demo_serves_nothing(tmp_path, monkeypatch):
    calls = []

    def run_demo(size, folder, **_kwargs):
        calls.append((size, folder))
        return DemoResult({"compliant": 1}, 0, {}, [], [], folder / "store.db", folder / "moodle_bridge.toml")

    monkeypatch.setattr(web, "run_page", lambda *args: calls.append("served"))
    monkeypatch.setattr(demo, "run_demo", run_demo)
    result = CliRunner().invoke(main, ["--lang", "en", "demo", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert calls == [("small", tmp_path)] and "Sign in" not in result.output

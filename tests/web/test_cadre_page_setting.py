"""web.cadre_page turns the cadre's own page on for `serve`, as --cadres does; off, /me answers 404."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from moodle_bridge.cli import main, web
from moodle_bridge.config import load_settings


@pytest.mark.parametrize("setting, flag, offered", [
    (None, False, False),  # the default: off
    ("false", False, False),
    ("true", False, True),  # the setting alone
    ("false", True, True),  # serve --cadres, whatever the setting
])
def test_the_setting_or_the_flag_offers_the_cadre_page(tmp_path, monkeypatch, setting, flag, offered):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MOODLE_BRIDGE_STORE__URL", f"sqlite:///{tmp_path}/store.db")
    monkeypatch.setenv("MOODLE_BRIDGE_MOODLE__URL", "https://moodle.example.org")
    monkeypatch.setenv("MOODLE_BRIDGE_WEB__SECRET_KEY", "k" * 48)
    if setting is not None:
        monkeypatch.setenv("MOODLE_BRIDGE_WEB__CADRE_PAGE", setting)
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    served: dict = {}
    monkeypatch.setattr(web, "run_page", lambda app, host, port, behind_proxy=False: served.update(app=app))
    result = CliRunner().invoke(main, ["serve", *(["--cadres"] if flag else [])])
    assert result.exit_code == 0, result.output
    page = TestClient(served["app"]).get("/me/login")
    assert page.status_code == (200 if offered else 404)


def test_the_example_configuration_names_the_setting_off():
    from tests.test_config import REPO

    settings = load_settings(REPO / "config" / "moodle_bridge.example.toml")
    assert settings.web.cadre_page is False
    assert "cadre_page = false" in (REPO / "config" / "moodle_bridge.example.toml").read_text(encoding="utf-8")

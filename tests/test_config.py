"""Configuration: TOML plus environment, the token only from env or a file, errors that say where."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from moodle_bridge.cli import main
from moodle_bridge.config import ConfigError, load_settings
from moodle_bridge.templates import example_config

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in list(__import__("os").environ):
        if name.startswith("MOODLE_BRIDGE_") and name != "MOODLE_BRIDGE_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_config_is_valid_and_is_what_init_writes():
    assert (REPO / "config" / "moodle_bridge.example.toml").read_text(encoding="utf-8") == example_config()
    settings = load_settings(REPO / "config" / "moodle_bridge.example.toml")
    assert str(settings.moodle.url) == "https://moodle.example.org/"
    assert settings.moodle.concurrency == 4 and settings.store.url == "sqlite:///moodle_bridge.db"


def test_environment_overrides_the_file_with_nested_names(tmp_path, monkeypatch):
    path = write(tmp_path, '[moodle]\nurl = "https://a.example"\nconcurrency = 2\n')
    monkeypatch.setenv("MOODLE_BRIDGE_MOODLE__CONCURRENCY", "6")
    monkeypatch.setenv("MOODLE_BRIDGE_MOODLE__RETRY__ATTEMPTS", "3")
    settings = load_settings(path)
    assert settings.moodle.concurrency == 6 and settings.moodle.retry.attempts == 3
    assert str(settings.moodle.url) == "https://a.example/"


def test_config_file_from_environment_variable(tmp_path, monkeypatch):
    path = write(tmp_path, '[moodle]\nurl = "https://b.example"\n')
    monkeypatch.setenv("MOODLE_BRIDGE_CONFIG", str(path))
    assert str(load_settings().moodle.url) == "https://b.example/"


def test_unknown_key_names_file_and_key(tmp_path):
    path = write(tmp_path, '[moodle]\nurl = "https://a.example"\nconcurency = 2\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert f"{path}: moodle.concurency: unknown key" in str(caught.value)


def test_wrong_type_names_file_key_and_expectation(tmp_path):
    path = write(tmp_path, '[moodle]\nurl = "https://a.example"\nconcurrency = "many"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert f"{path}: moodle.concurrency:" in message and "valid integer" in message and "'many'" in message


def test_wrong_value_from_environment_names_the_variable(tmp_path, monkeypatch):
    path = write(tmp_path, '[moodle]\nurl = "https://a.example"\n')
    monkeypatch.setenv("MOODLE_BRIDGE_MOODLE__CONCURRENCY", "0")
    with pytest.raises(ConfigError, match=re.escape(
            "environment variable MOODLE_BRIDGE_MOODLE__CONCURRENCY: "
            "moodle.concurrency: Input should be greater than or equal to 1")):
        load_settings(path)


def test_missing_url_says_what_is_expected(tmp_path):
    path = write(tmp_path, "[store]\nurl = \"sqlite:///x.db\"\n")
    with pytest.raises(ConfigError, match=r"moodle(\.url)?: .*(required|Field required)"):
        load_settings(path)
    path = write(tmp_path, "[moodle]\nverify_tls = true\n")
    with pytest.raises(ConfigError, match=re.escape("moodle.url: the address of your Moodle site is required")):
        load_settings(path)


def test_toml_syntax_error_says_file_and_line(tmp_path):
    path = write(tmp_path, "[moodle\nurl = 1\n")
    with pytest.raises(ConfigError, match=rf"{path}: not valid TOML: .*line 1"):
        load_settings(path)


def test_token_in_the_file_is_refused(tmp_path):
    path = write(tmp_path, '[moodle]\nurl = "https://a.example"\ntoken = "abc"\n')
    with pytest.raises(ConfigError, match="do not put the token in the configuration file") as caught:
        load_settings(path)
    assert "abc" not in str(caught.value)


def test_token_from_environment_or_file_never_shown(tmp_path, monkeypatch):
    path = write(tmp_path, '[moodle]\nurl = "https://a.example"\n')
    monkeypatch.setenv("MOODLE_BRIDGE_MOODLE__TOKEN", "env-secret-123")
    settings = load_settings(path)
    assert settings.moodle.resolve_token().get_secret_value() == "env-secret-123"
    assert "env-secret-123" not in repr(settings) and "env-secret-123" not in str(settings.model_dump())

    monkeypatch.delenv("MOODLE_BRIDGE_MOODLE__TOKEN")
    token_file = tmp_path / "token"
    token_file.write_text("file-secret-456\n")
    token_file.chmod(0o600)
    path = write(tmp_path, f'[moodle]\nurl = "https://a.example"\ntoken_file = "{token_file}"\n')
    assert load_settings(path).moodle.resolve_token().get_secret_value() == "file-secret-456"


def test_no_token_anywhere_is_a_clear_error(tmp_path):
    path = write(tmp_path, '[moodle]\nurl = "https://a.example"\n')
    with pytest.raises(ConfigError, match="MOODLE_BRIDGE_MOODLE__TOKEN"):
        load_settings(path).moodle.resolve_token()
    path = write(tmp_path, f'[moodle]\nurl = "https://a.example"\ntoken_file = "{tmp_path / "nope"}"\n')
    with pytest.raises(ConfigError, match=re.escape("moodle.token_file: cannot read")):
        load_settings(path).moodle.resolve_token()


def test_init_writes_a_config_that_loads_and_refuses_to_overwrite(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["init", "--url", "https://moodle.county.example"])
    assert result.exit_code == 0, result.output
    assert str(load_settings(Path("moodle_bridge.toml")).moodle.url) == "https://moodle.county.example/"
    before = Path("moodle_bridge.toml").read_text()
    again = runner.invoke(main, ["init"])
    assert again.exit_code == 1 and "already exists" in again.output
    assert Path("moodle_bridge.toml").read_text() == before


def test_cli_config_error_exits_2_with_the_message(tmp_path):
    path = write(tmp_path, '[moodle]\nurl = "https://a.example"\nbogus = 1\n')
    result = CliRunner().invoke(main, ["--config", str(path), "db", "upgrade"])
    assert result.exit_code == 2 and "moodle.bogus: unknown key" in result.output


def test_the_packaged_example_rules_are_the_documented_ones():
    from moodle_bridge.services.demo import EXAMPLE_RULES

    assert EXAMPLE_RULES.read_text(encoding="utf-8") == (REPO / "config" / "rules.example.yaml").read_text(
        encoding="utf-8")


# --- every value that could fail later is checked at load (issue 11, items 5, 7, 8, 10) ----------------------------


@pytest.mark.parametrize(("text", "key", "reason"), [
    ('[sync]\norganisation_timezone = "Asia/Shangai"', "sync.organisation_timezone", "unknown time zone"),
    ('[sync]\nreport_timezone = "../etc/passwd"', "sync.report_timezone", "unknown time zone"),
    ('[sync]\nperiod_start = "13-45"', "sync.period_start", "not a month and day"),
    ('[sync]\nperiod_start = "02-29"', "sync.period_start", "not a month and day"),
    ('[schedule]\npipeline = "0 25 * * *"', "schedule.pipeline", "not a cron expression"),
    ('[schedule]\npipeline = "every night"', "schedule.pipeline", "not a cron expression"),
    ("[moodle.retry]\nmax_wait = inf", "moodle.retry.max_wait", "finite"),
    ("[alerts]\nmirror_max_age_hours = nan", "alerts.mirror_max_age_hours", "finite"),
    ('[store]\nurl = "mysql://root@db/bridge"', "store.url", "unsupported store 'mysql': use sqlite"),
])
def test_values_that_would_fail_later_are_refused_at_load_naming_the_key(tmp_path, text, key, reason):
    path = write(tmp_path, f'[moodle]\nurl = "https://a.example"\n{text}\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert f"{path}: {key}: " in message and reason in message and "\n" not in message


def test_moodle_timeouts_deadline_and_answer_size_are_finite_and_positive(tmp_path):
    for value in ("inf", "nan", "0", "-1"):
        for key in ("read_timeout", "connect_timeout", "call_deadline", "max_answer_mb"):
            path = write(tmp_path, f'[moodle]\nurl = "https://a.example"\n{key} = {value}\n')
            with pytest.raises(ConfigError, match=rf"moodle\.{key}: "):
                load_settings(path)
    path = write(tmp_path, '[moodle]\nurl = "https://a.example"\ncall_deadline = 30\nmax_answer_mb = 8\n')
    moodle = load_settings(path).moodle
    assert (moodle.call_deadline, moodle.max_answer_mb) == (30, 8)
    defaults = load_settings(write(tmp_path, '[moodle]\nurl = "https://a.example"\n')).moodle
    assert 0 < defaults.read_timeout <= defaults.call_deadline < float("inf") and 0 < defaults.max_answer_mb < 4096


def test_a_password_in_the_moodle_url_is_refused_and_never_shown(tmp_path):
    path = write(tmp_path, '[moodle]\nurl = "https://admin:hunter2@moodle.example"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert "moodle.url: must not hold a user name or password" in str(caught.value)
    assert "hunter2" not in str(caught.value)
    result = CliRunner().invoke(main, ["--config", str(path), "doctor"])
    assert result.exit_code == 2 and "moodle.url" in result.output and "hunter2" not in result.output


def test_a_store_password_is_never_shown_in_a_config_error(tmp_path):
    path = write(tmp_path, '[moodle]\nurl = "https://a.example"\n[store]\nurl = "mysql://root:hunter2@db/x"\n')
    result = CliRunner().invoke(main, ["--config", str(path), "status"])
    assert result.exit_code == 2 and "store.url" in result.output and "hunter2" not in result.output
    assert "sqlite:///" in result.output and "postgresql" in result.output


def test_a_config_file_that_is_not_utf8_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "site.toml"
    path.write_bytes('[moodle]\nurl = "https://a.example"  # 组织部\n'.encode("gb18030"))
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: not UTF-8 text .*save the file as UTF-8"):
        load_settings(path)
    result = CliRunner().invoke(main, ["--config", str(path), "status"])
    assert result.exit_code == 2 and "not UTF-8" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_bad_environment_list_is_a_config_error(tmp_path, monkeypatch):
    path = write(tmp_path, '[moodle]\nurl = "https://a.example"\n')
    monkeypatch.setenv("MOODLE_BRIDGE_ALERTS__MOODLE_USER_IDS", "[1, 2")
    with pytest.raises(ConfigError, match="alerts"):
        load_settings(path)

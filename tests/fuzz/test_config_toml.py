"""Fuzz the configuration (config.py ``load_settings``): the example TOML with values, keys and types mutated,
edited text (duplicate keys, cuts, junk), other encodings and random bytes, plus ``MOODLE_BRIDGE_...`` variables.

A configuration is refused with a ``ConfigError`` (one line: where, which key, why) or gives settings where every
value that could fail later holds: finite numbers, known time zones, a period start that exists every year, a cron
expression the scheduler takes, a supported store, no user:password@ in the Moodle address."""

from __future__ import annotations

import math
import os
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from moodle_bridge.config import ENV_PREFIX, SUPPORTED_STORES, ConfigError, Settings, load_settings

from .common import HUGE_NUMBERS, ODD_DATES, ODD_TEXT, fuzz, refused_or

EXAMPLE_TEXT = (Path(__file__).parents[2] / "config" / "moodle_bridge.example.toml").read_text(encoding="utf-8")
EXAMPLE: dict[str, Any] = tomllib.loads(EXAMPLE_TEXT)
EXAMPLE["moodle"]["completions_report_id"] = 2
EXAMPLE["alerts"]["moodle_user_ids"] = [2]
EXAMPLE["language"] = "zh_CN"

ODD_URLS = st.sampled_from([
    "https://moodle.example.org", "http://user:pass@moodle.example.org", "https://:@moodle.example.org",
    "ftp://moodle.example.org", "moodle.example.org", "https://", "https://[::1]:99999", "https://exa mple.org",
    "https://moodle.example.org/webservice/rest/server.php?wstoken=x", "javascript:alert(1)", "http://0x7f.1",
    "https://例子.测试", "https://moodle.example.org:0", "https://a@b@c", "//moodle.example.org", "",
    "sqlite:///x.db", "mysql://root@localhost/db", "postgresql+psycopg://u@h/db", "sqlite://", "postgres://x",
    "SQLITE:///X.DB", "sqlite+pysqlite:///:memory:",
])
ODD_ZONES = st.sampled_from([
    "Asia/Shanghai", "UTC", "", "Mars/Olympus", "../../etc/passwd", "/etc/localtime", "Asia/Shanghai\x00",
    "asia/shanghai", "UTC+8", "+08:00", "Etc/GMT-8", "Asia", "Asia/", " Asia/Shanghai", "Asia/Shanghai ", "EST5EDT",
    "\\", "a" * 300,
])
ODD_CRON = st.sampled_from([
    "0 2 * * *", "", "* * * *", "* * * * * *", "61 * * * *", "0 25 * * *", "0 2 31 2 *", "0 2 * * 8", "@daily",
    "*/0 * * * *", "0-100 * * * *", "0 2 * * mon-fri", "0 2 * * MON", "x y z w v", "0 2 * * *\n", "1,,2 * * * *",
    "0 2 L * *", "0 2 * * 7", "59 23 31 12 *", "0 0 29 2 *", "* * * * ?", "-1 * * * *",
])
ODD_MONTH_DAYS = st.sampled_from(["01-01", "13-45", "02-29", "02-30", "00-00", "12-31", "1-1", "01-1", "٠١-٠١",
                                  "01/01", "", "99-99", "04-31", "1e1-01"])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True), ODD_TEXT, HUGE_NUMBERS, ODD_DATES, ODD_URLS, ODD_ZONES,
    ODD_CRON, ODD_MONTH_DAYS, st.dates(), st.lists(st.integers(), max_size=3),
)


def _key(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        escaped = "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" if ord(c) < 0x10000
                          and not 0xD800 <= ord(c) < 0xE000 else "?" for c in value)
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None) + "}"
    raise TypeError(value)


def dumps(document: dict[str, Any]) -> str:
    """TOML for a document (no None: TOML has none; a None value is left out)."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in document.items() if v is not None and not isinstance(v, dict)]
    for section, table in document.items():
        if isinstance(table, dict):
            lines.append(f"[{_key(section)}]")
            lines += [f"{_key(k)} = {_value(v)}" for k, v in table.items() if v is not None]
    return "\n".join(lines) + "\n"


@st.composite
def mutated_documents(draw: st.DrawFn) -> str:
    document = {k: dict(v) if isinstance(v, dict) else v for k, v in EXAMPLE.items()}
    document["moodle"]["retry"] = dict(document["moodle"]["retry"])
    for _ in range(draw(st.integers(1, 4))):
        section = draw(st.sampled_from(sorted(document)))
        how = draw(st.sampled_from(["replace", "replace", "drop", "add", "retype_section"]))
        if how == "retype_section" or not isinstance(document[section], dict) or not document[section]:
            document[section] = draw(SCALARS)
        elif how == "replace":
            document[section][draw(st.sampled_from(sorted(document[section])))] = draw(SCALARS)
        elif how == "drop":
            del document[section][draw(st.sampled_from(sorted(document[section])))]
        else:
            document[section][draw(st.text(min_size=1, max_size=8))] = draw(SCALARS)
    return dumps(document)


@st.composite
def edited_bytes(draw: st.DrawFn) -> bytes:
    """The example's text with lines duplicated, cut, or junk added, then saved in some encoding."""
    lines = EXAMPLE_TEXT.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["duplicate", "cut", "junk", "chinese"]))
        if edit == "duplicate":
            lines.insert(index, lines[index])
        elif edit == "cut":
            lines[index] = lines[index][: draw(st.integers(0, len(lines[index])))]
        elif edit == "junk":
            lines[index] += draw(st.text(max_size=10))
        else:
            lines.insert(index, "# 干部教育培训 配置")
    text = "\n".join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"]))
    raw = text.encode(encoding, errors="replace")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(max_size=8)) + raw[at:]
    return raw


ENV_NAMES = st.sampled_from([
    "MOODLE__URL", "MOODLE__TOKEN", "MOODLE__READ_TIMEOUT", "MOODLE__CONNECT_TIMEOUT", "MOODLE__CONCURRENCY",
    "MOODLE__RETRY__ATTEMPTS", "MOODLE__RETRY__MAX_WAIT", "MOODLE__RETRY", "MOODLE", "STORE__URL",
    "SYNC__ORGANISATION_TIMEZONE", "SYNC__REPORT_TIMEZONE", "SYNC__PERIOD_START", "SYNC__GRADES_MAX_AGE_DAYS",
    "SCHEDULE__PIPELINE", "ALERTS__MOODLE_USER_IDS", "ALERTS__MIRROR_MAX_AGE_HOURS", "WEB__PORT", "WEB__SECRET_KEY",
    "LOGGING__LEVEL", "LANGUAGE", "FEATURES__GRADES", "MOODLE__CALL_DEADLINE", "MOODLE__MAX_ANSWER_MB", "NOPE",
])
ENV_VALUES = st.one_of(HUGE_NUMBERS, ODD_URLS, ODD_ZONES, ODD_CRON, ODD_MONTH_DAYS, st.sampled_from(
    ["[]", "[1, 2]", "[1e400]", "{}", '{"attempts": 1e999}', "null", "true", "[\"x\"]", "{", "1" * 5000]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
).map(lambda value: value.replace("\x00", ""))  # no environment holds a NUL


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Only these MOODLE_BRIDGE_ variables (and a token) for the duration."""
    saved = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)}
    for name in saved:
        del os.environ[name]
    os.environ[ENV_PREFIX + "MOODLE__TOKEN"] = "fuzz-token"
    try:
        for name, value in values.items():
            os.environ[ENV_PREFIX + name] = value
        yield
    finally:
        for name in [k for k in os.environ if k.startswith(ENV_PREFIX)]:
            del os.environ[name]
        os.environ.update(saved)


def check(settings: Settings | None) -> None:
    """A correct result: nothing that passes load and fails later (issue 11, item 7)."""
    if settings is None:
        return

    def walk(value: Any, where: str) -> None:
        if isinstance(value, float):
            assert math.isfinite(value), f"{where}: {value} is not finite"
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}")

    walk(settings.model_dump(), "settings")
    ZoneInfo(settings.sync.organisation_timezone)
    ZoneInfo(settings.sync.report_timezone)
    month, day = (int(part) for part in settings.sync.period_start.split("-"))
    date(2001, month, day)
    from apscheduler.triggers.cron import CronTrigger

    CronTrigger.from_crontab(settings.schedule.pipeline, timezone=settings.sync.organisation_timezone)
    assert settings.store.url.split(":", 1)[0].split("+", 1)[0].lower() in SUPPORTED_STORES
    assert not settings.moodle.url.username and not settings.moodle.url.password


def load(raw: bytes, env: dict[str, str] | None = None) -> Settings | None:
    with tempfile.TemporaryDirectory() as folder, environment(env or {}):
        path = Path(folder) / "moodle_bridge.toml"
        path.write_bytes(raw)
        settings, _ = refused_or(lambda: load_settings(path), ConfigError)
        check(settings)
        return settings


def test_the_example_itself_loads():
    assert load(EXAMPLE_TEXT.encode()) is not None
    assert load(dumps(EXAMPLE).encode()) is not None


@fuzz(200)
@given(mutated_documents())
def test_mutated_documents(text):
    load(text.encode("utf-8"))


@fuzz(100)
@given(edited_bytes())
def test_edited_text_in_any_encoding(raw):
    load(raw)


@fuzz(100)
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_random_bytes(raw):
    load(raw)


@fuzz(200)
@given(st.dictionaries(ENV_NAMES, ENV_VALUES, min_size=1, max_size=4), st.booleans())
def test_environment_variables(env, with_file):
    load(EXAMPLE_TEXT.encode() if with_file else b"", env)

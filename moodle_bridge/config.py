"""Configuration: a TOML file, overridden by ``MOODLE_BRIDGE_...`` environment variables.

Nested keys use ``__`` in variable names (``MOODLE_BRIDGE_MOODLE__URL``). The token is a secret:
it comes from ``MOODLE_BRIDGE_MOODLE__TOKEN`` or from a file named by ``moodle.token_file``,
never from the TOML file (configuration files get copied, mailed and committed).
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

ENV_PREFIX = "MOODLE_BRIDGE_"
CONFIG_ENV = "MOODLE_BRIDGE_CONFIG"
DEFAULT_CONFIG = Path("moodle_bridge.toml")


class ConfigError(Exception):
    """A configuration problem, worded for the person who edits the file."""


class _Section(BaseModel):
    # Every number finite: `inf` or `nan` in a timeout, a wait or a limit is refused at load, not met later.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


SUPPORTED_STORES = ("sqlite", "postgresql")
_USERINFO = re.compile(r"(?<=//)[^/@\s]*@")


def without_userinfo(text: str) -> str:
    """``text`` with any ``user:password@`` of a URL in it masked (for messages and logs)."""
    return _USERINFO.sub("***@", text)


def check_time_zone(name: str) -> str:
    """``name`` when it is an IANA time zone this machine knows (``Asia/Shanghai``); ValueError otherwise."""
    try:
        ZoneInfo(name)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError; a malformed key a ValueError
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as \"Asia/Shanghai\")") from None
    return name


def check_month_day(text: str) -> str:
    """``MM-DD`` that exists every year (not 02-29); ValueError otherwise."""
    month, day = (int(part) for part in text.split("-"))
    try:
        date(2001, month, day)  # a year without 29 February
    except ValueError:
        raise ValueError(f"{text!r} is not a month and day that exists every year (MM-DD, e.g. \"01-01\")") from None
    return text


def check_crontab(expression: str) -> str:
    """A five-field cron expression the scheduler accepts; ValueError saying why otherwise."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(expression, timezone="UTC")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a cron expression (minute hour day month weekday, e.g. \"0 2 * * *\"): {exc}") from None
    return expression


class RetrySettings(_Section):
    attempts: int = Field(5, ge=1, le=20, description="tries in all for a transient failure")
    max_wait: float = Field(30.0, gt=0, description="longest pause between two tries, seconds")
    maintenance_wait: float = Field(60.0, gt=0, description="pause while the site is in maintenance")
    maintenance_patience: float = Field(600.0, ge=0, description="maintenance sat out before giving up")


class MoodleSettings(_Section):
    url: HttpUrl
    token: SecretStr | None = None
    token_file: Path | None = None
    verify_tls: bool = True
    connect_timeout: float = Field(5.0, gt=0, le=3600)
    read_timeout: float = Field(120.0, gt=0, le=86_400)  # the longest wait for one read from the socket
    call_deadline: float = Field(600.0, gt=0, le=86_400)  # the longest one HTTP call may take, answer included
    max_answer_mb: float = Field(256.0, gt=0, le=4096)  # a longer answer is refused, never read whole
    concurrency: int = Field(4, ge=1, le=32)
    batch_size: int = Field(50, ge=0, le=500)  # 0: never batch
    completions_report_id: int | None = Field(None, ge=1)
    profiles_report_id: int | None = Field(None, ge=1)  # cadres' profiles from a Users report (README)
    retry: RetrySettings = RetrySettings()

    @field_validator("url")
    @classmethod
    def _no_credentials_in_url(cls, url: HttpUrl) -> HttpUrl:
        if url.username or url.password:
            raise ValueError("must not hold a user name or password (user:password@): the token authenticates; "
                             "remove them from the address")
        return url

    def resolve_token(self) -> SecretStr:
        """The token from the environment or the token file; a clear error when there is none."""
        if self.token is not None and self.token.get_secret_value().strip():
            return SecretStr(self.token.get_secret_value().strip())
        if self.token_file is not None:
            try:
                text = self.token_file.read_text(encoding="utf-8").strip()
                mode = self.token_file.stat().st_mode
            except OSError as exc:
                raise ConfigError(
                    f"moodle.token_file: cannot read {self.token_file} ({exc.strerror})"
                ) from None
            if not text:
                raise ConfigError(f"moodle.token_file: {self.token_file} is empty")
            if mode & (stat.S_IRGRP | stat.S_IROTH):
                import structlog

                structlog.get_logger("moodle_bridge.config").warning(
                    "config.token_file_readable_by_others", path=str(self.token_file),
                    advice="chmod 600",
                )
            return SecretStr(text)
        raise ConfigError(
            "no Moodle token: set the environment variable MOODLE_BRIDGE_MOODLE__TOKEN "
            "or moodle.token_file in the configuration file"
        )


class SyncSettings(_Section):
    """How the mirror is read from Moodle (see the README, "Sync")."""

    completion_road: Literal["auto", "report", "batch", "per_enrolment"] = "auto"
    report_page_size: int = Field(5000, ge=100, le=100_000)  # the smallest page; bigger for big reports
    report_max_pages: int = Field(10, ge=1, le=1000)
    report_attempts: int = Field(3, ge=1, le=10)  # re-reads when the report changes while paging
    report_timezone: str = "Asia/Shanghai"  # the integration user's time zone: report dates are shown in it
    organisation_timezone: str = "Asia/Shanghai"
    period_start: str = Field("01-01", pattern=r"^\d{2}-\d{2}$")  # MM-DD: periods start at 00:00 that day
    cadre_id_field: str = "cadre_id"  # profile field holding the cadre id (users without one are not cadres)
    hours_field: str = "hours"  # course custom field with the class hours
    training_type_field: str = "training_type"
    grades_max_age_days: float = Field(7.0, ge=0, le=3650)  # re-read a course's grades at least this often
    user_chunk: int = Field(100, ge=1, le=1000)  # users looked up per call
    # The reports' filters (README, the completions report): read a full report course group by course
    # group, and in between only what changed; the whole reports at least every report_full_every_hours.
    report_filters: bool = False
    report_full_every_hours: float = Field(24.0, gt=0, le=24 * 366)
    report_overlap_minutes: float = Field(60.0, ge=0, le=7 * 24 * 60)  # an incremental read starts this early
    # Rows of a course group in a full read (two pages); 0: a full read reads the report whole.
    report_partition_rows: int = Field(100_000, ge=0, le=10_000_000)

    _zones = field_validator("report_timezone", "organisation_timezone")(check_time_zone)
    _period_start = field_validator("period_start")(check_month_day)


class RulesSettings(_Section):
    file: Path = Path("rules.yaml")  # the organisation department's rules (see config/rules.example.yaml)


class ScheduleSettings(_Section):
    """`moodle-bridge scheduler`: when the pipeline (sync, evaluate, reports, actions) runs."""

    pipeline: str = "0 2 * * *"  # cron: minute hour day month weekday, organisation time zone
    reports_folder: Path = Path("reports")
    actions: bool = False  # also enrol cadres in required courses and send messages (features.enrol/notify)
    # The longest a step may run: the sync stops at its next partition (resumable) and the run fails with an alert;
    # a local step (evaluate, reports) past it is finished but alerted. Each Moodle call has its own deadline too.
    step_deadline_minutes: float = Field(240.0, gt=0, le=10_080)

    _cron = field_validator("pipeline")(check_crontab)


class AlertSettings(_Section):
    channel: Literal["log", "webhook", "moodle"] = "log"
    webhook_url: str | None = None  # POSTed a JSON {"subject", "text"}
    moodle_user_ids: list[int] = []  # administrators who get a Moodle message
    mirror_max_age_hours: float = Field(36.0, gt=0, le=24 * 366)  # an older last successful sync raises an alert


class WebSettings(_Section):
    """`moodle-bridge serve`: the review page."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    https: bool = False  # served behind HTTPS (a reverse proxy): session cookies are Secure
    cadre_page: bool = False  # cadres sign in at /me with their Moodle account (as serve --cadres); doctor checks it
    secret_key: SecretStr | None = None  # signs sessions: MOODLE_BRIDGE_WEB__SECRET_KEY, or secret_key_file
    secret_key_file: Path | None = None

    def resolve_secret(self) -> str | None:
        if self.secret_key is not None and self.secret_key.get_secret_value().strip():
            return self.secret_key.get_secret_value().strip()
        if self.secret_key_file is not None:
            try:
                return self.secret_key_file.read_text(encoding="utf-8").strip() or None
            except OSError as exc:
                raise ConfigError(f"web.secret_key_file: cannot read {self.secret_key_file} ({exc.strerror})") from None
        return None


class StoreSettings(_Section):
    url: str = "sqlite:///moodle_bridge.db"

    @field_validator("url")
    @classmethod
    def _supported(cls, url: str) -> str:
        backend = url.split(":", 1)[0].split("+", 1)[0].lower() if ":" in url else ""
        if backend not in SUPPORTED_STORES:
            raise ValueError(f"unsupported store {backend or url!r}: use sqlite:///path/to/store.db or "
                             "postgresql+psycopg://user@host/database")
        return url


class FeatureSettings(_Section):
    """What this site uses beyond the core sync; ``doctor`` checks the functions each needs."""

    grades: bool = True
    activity_completions: bool = False
    enrol: bool = False
    notify: bool = False
    profile_hours: bool = False
    feedback: bool = False  # Feedback activities' questions and answers: course evaluations, training needs
    reminders: bool = False  # the pipeline sends reminders on the rules' schedule (with schedule.actions; issue 15)
    calendar: bool = False  # required courses' and reading's due dates as events in Moodle's course calendars


class LoggingSettings(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "console", "json"] = "auto"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", case_sensitive=False, allow_inf_nan=False
    )

    moodle: MoodleSettings
    store: StoreSettings = StoreSettings()
    sync: SyncSettings = SyncSettings()
    rules: RulesSettings = RulesSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    alerts: AlertSettings = AlertSettings()
    web: WebSettings = WebSettings()
    features: FeatureSettings = FeatureSettings()
    logging: LoggingSettings = LoggingSettings()
    language: str | None = None  # None: the system's LANG

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's values arrive as init arguments; the environment overrides them.
        return (env_settings, init_settings)

    def enabled_features(self) -> set[str]:
        core = {"connect", "courses", "units", "cadres", "completions"}
        optional = {name for name, on in self.features.model_dump().items() if on}
        if self.features.reminders:  # reminders are Moodle messages: the same functions as notify's
            optional = (optional - {"reminders"}) | {"notify"}
        filters = {"report_filters"} if self.sync.report_filters else set()
        return core | optional | {"completions_report", "batch"} | filters


def config_path(explicit: Path | None = None) -> Path | None:
    """The file to read: ``--config``, else ``$MOODLE_BRIDGE_CONFIG``, else ./moodle_bridge.toml."""
    if explicit is not None:
        return explicit
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file (create one with `moodle-bridge init`)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}): save the file as UTF-8") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a configuration file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file ({exc.strerror})") from None


def _env_name(loc: tuple[Any, ...]) -> str:
    return ENV_PREFIX + "__".join(str(part).upper() for part in loc)


def _origin(loc: tuple[Any, ...], data: dict[str, Any], path: Path | None) -> str:
    for depth in range(len(loc), 0, -1):
        if os.environ.get(_env_name(loc[:depth])) is not None:
            return f"environment variable {_env_name(loc[:depth])}"
    return str(path) if path else "configuration"


_EXPECTED = {
    "missing": "a value is required",
    "extra_forbidden": "unknown key (a typo? see config/moodle_bridge.example.toml)",
}


def format_validation_error(exc: ValidationError, data: dict[str, Any], path: Path | None) -> str:
    lines = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        key = ".".join(str(part) for part in loc)
        expected = _EXPECTED.get(error["type"], error["msg"])
        shown = ""
        if error["type"] not in ("missing", "extra_forbidden") and "token" not in key and "secret" not in key:
            shown = without_userinfo(f" (got {error.get('input')!r})")
        expected = expected.removeprefix("Value error, ")
        if key == "moodle.url" and error["type"] == "missing":
            expected = "the address of your Moodle site is required, e.g. url = \"https://moodle.example.org\""
        lines.append(f"{_origin(loc, data, path)}: {key}: {expected}{shown}")
    return "invalid configuration: " + "; ".join(lines)  # one line, whatever the count


def load_settings(path: Path | None = None) -> Settings:
    """Read and validate the configuration; raise :class:`ConfigError` saying where and why."""
    path = config_path(path)
    data = read_toml(path) if path else {}
    token_in_file = isinstance(data.get("moodle"), dict) and "token" in data["moodle"]
    if token_in_file:
        raise ConfigError(
            f"{path}: moodle.token: do not put the token in the configuration file; "
            "use the environment variable MOODLE_BRIDGE_MOODLE__TOKEN or moodle.token_file"
        )
    if isinstance(data.get("web"), dict) and "secret_key" in data["web"]:
        raise ConfigError(f"{path}: web.secret_key: do not put the session key in the configuration file; "
                          "use MOODLE_BRIDGE_WEB__SECRET_KEY or web.secret_key_file")
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, data, path)) from None
    except SettingsError as exc:  # an environment variable that is not the JSON a list or table needs
        raise ConfigError(f"environment: {exc}") from None

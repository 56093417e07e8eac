"""The ``moodle-bridge`` command line (click). Commands stay thin: they wire settings to logic."""

from __future__ import annotations

import json
import sys
import tempfile
from contextlib import contextmanager, nullcontext
from pathlib import Path

import click

from . import __version__
from .config import ConfigError, Settings, load_settings
from .i18n import _, available_languages, set_language
from .log import configure_logging

EXIT_READY, EXIT_NOT_READY, EXIT_USAGE = 0, 1, 2


class Context:
    def __init__(self, config: Path | None, log_format: str | None, log_level: str | None,
                 lang: str | None) -> None:
        self.config_path = config
        self.lang = lang
        self.log_format = log_format
        self.log_level = log_level
        self._settings: Settings | None = None

    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_path)
            except ConfigError as exc:
                click.echo(_("Configuration error: {error}").format(error=exc), err=True)
                sys.exit(EXIT_USAGE)
            self.apply(self._settings)
        return self._settings

    def apply(self, settings: Settings) -> None:
        configure_logging(self.log_level or settings.logging.level, self.log_format or settings.logging.format)
        set_language(self.lang or settings.language)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="moodle-bridge")
@click.option("--config", "-c", type=click.Path(path_type=Path, dir_okay=False),
              help="Configuration file (default: $MOODLE_BRIDGE_CONFIG or ./moodle_bridge.toml).")
@click.option("--log-format", type=click.Choice(["auto", "console", "json"]), default=None,
              help="Log lines readable on a terminal, or JSON.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default=None)
@click.option("--lang", type=click.Choice(available_languages()), default=None,
              help="Language of the output (default: the configuration's, else the system's).")
@click.pass_context
def main(ctx: click.Context, config: Path | None, log_format: str | None, log_level: str | None,
         lang: str | None) -> None:
    """moodle_bridge: cadre training compliance on top of Moodle."""
    ctx.obj = Context(config, log_format, log_level, lang)
    configure_logging(log_level or "info", log_format or "auto")
    set_language(lang)


@main.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False), default="moodle_bridge.toml")
@click.option("--url", help="Address of the Moodle site, written into the new file.")
def init(path: Path, url: str | None) -> None:
    """Write a commented configuration file for a new site (never overwrites one)."""
    from .templates import example_config

    if path.exists():
        raise click.ClickException(_("{path} already exists; not overwriting it").format(path=path))
    path.write_text(example_config(url), encoding="utf-8")
    click.echo(_("Wrote {path}. Next: set MOODLE_BRIDGE_MOODLE__TOKEN (or moodle.token_file), "
                 "then run `moodle-bridge db upgrade` and `moodle-bridge doctor`.").format(path=path))


@main.group()
def db() -> None:
    """The store: create or upgrade its tables."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Context) -> None:
    """Apply every pending migration to the store."""
    from .store import connect, migration_status, upgrade

    settings = obj.settings()
    engine = connect(settings.store.url)
    upgrade(engine)
    status = migration_status(engine)
    click.echo(_("Store {url} is at schema {rev}.").format(
        url=engine.url.render_as_string(hide_password=True), rev=status.current))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--against-fixtures", is_flag=True,
              help="Check against a stand-in Moodle that replays the recorded answers of a real "
                   "Moodle 5.1 (no site needed; a temporary store).")
@click.pass_obj
def doctor(obj: Context, as_json: bool, against_fixtures: bool) -> None:
    """Check that Moodle, the token and the store are ready. Exit 0 ready, 1 not ready."""
    from .doctor import run_doctor
    from .doctor_render import render_report
    from .moodle import MoodleClient
    from .store import connect, upgrade

    if against_fixtures:
        from .simulator.replay import ReplayMoodle

        token = "replay-" + Path(tempfile.mkdtemp()).name
        with ReplayMoodle(token) as moodle, tempfile.TemporaryDirectory() as tmp:
            settings = Settings(moodle={"url": moodle.url, "completions_report_id": 2},
                                store={"url": f"sqlite:///{tmp}/store.db"})
            obj.apply(settings)
            engine = connect(settings.store.url)
            upgrade(engine)
            with MoodleClient(moodle.url, token) as client:
                report = run_doctor(settings, client, engine)
            engine.dispose()
    else:
        settings = obj.settings()
        with _client(settings) as client:
            report = run_doctor(settings, client, connect(settings.store.url))
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        render_report(report)
    sys.exit(EXIT_READY if report.ready else EXIT_NOT_READY)


def _client(settings: Settings):
    """The configured Moodle client; a missing token is a usage error (exit 2)."""
    from .wiring import make_client

    try:
        return make_client(settings)
    except ConfigError as exc:
        click.echo(_("Configuration error: {error}").format(error=exc), err=True)
        sys.exit(EXIT_USAGE)


@contextmanager
def _exclusive(engine):
    """Hold the scheduled pipeline's store lock while a manual command writes, so the two never overlap."""
    from .store.lock import Locked, StoreLock

    lock = StoreLock(engine)
    try:
        lock.acquire()
    except Locked as exc:
        click.echo(_("Another run is using the store ({detail}). Try again when it has finished.").format(
            detail=exc), err=True)
        sys.exit(EXIT_NOT_READY)
    try:
        yield
    finally:
        lock.release()


def _store(settings: Settings):
    from .store import NotMigrated, connect, require_migrated

    engine = connect(settings.store.url)
    try:
        require_migrated(engine)
    except NotMigrated as exc:
        click.echo(_("The store is not ready: {error}").format(error=exc), err=True)
        sys.exit(EXIT_NOT_READY)
    return engine


@main.command()
@click.option("--full", is_flag=True, help="Re-read everything, grades of every course included.")
@click.option("--only", help="Comma-separated entities: categories, courses, cohorts, enrolments, users, "
                             "completions, grades.")
@click.option("--dry-run", is_flag=True, help="Read Moodle and show what would change; write nothing.")
@click.pass_obj
def sync(obj: Context, full: bool, only: str | None, dry_run: bool) -> None:
    """Mirror Moodle into the store (resumes an interrupted run)."""
    from .sync import ENTITIES, Sync, SyncOptions
    from .sync.progress import for_terminal
    from .sync_render import render_summary

    settings = obj.settings()
    wanted = None
    if only:
        wanted = frozenset(part.strip() for part in only.split(",") if part.strip())
        unknown = wanted - set(ENTITIES)
        if unknown:
            raise click.UsageError(_("unknown entities: {names} (choose from {all})").format(
                names=", ".join(sorted(unknown)), all=", ".join(ENTITIES)))
    engine = _store(settings)
    # A dry run writes nothing, so it may read beside a running pipeline.
    with (nullcontext() if dry_run else _exclusive(engine)), _client(settings) as client:
        summary = Sync(settings, client, engine, progress=for_terminal()).run(
            SyncOptions(full=full, only=wanted, dry_run=dry_run))
    render_summary(summary)
    sys.exit(EXIT_READY if summary.ok else EXIT_NOT_READY)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def status(obj: Context, as_json: bool) -> None:
    """What the mirror holds, and what the last sync changed."""
    from .sync_render import mirror_status, render_status

    settings = obj.settings()
    report = mirror_status(_store(settings))
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        render_status(report)


from . import cli_actions, cli_demo, cli_reports, cli_rules, cli_schedule, cli_web  # noqa: E402,F401 - register commands

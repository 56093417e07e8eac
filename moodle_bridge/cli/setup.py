"""`moodle-bridge init` and `moodle-bridge db upgrade`: a new site's first steps."""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import _
from .context import CommandError, Context
from .root import main


@main.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False), default="moodle_bridge.toml")
@click.option("--url", help="Address of the Moodle site, written into the new file.")
def init(path: Path, url: str | None) -> None:
    """Write a commented configuration file for a new site (never overwrites one)."""
    from ..templates import example_config

    if path.exists():
        raise CommandError(_("{path} already exists; not overwriting it").format(path=path))
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
    from ..store import connect, migration_status, upgrade

    settings = obj.settings()
    engine = connect(settings.store.url)
    upgrade(engine)
    status = migration_status(engine)
    click.echo(_("Store {url} is at schema {rev}.").format(
        url=engine.url.render_as_string(hide_password=True), rev=status.current))


"""`moodle-bridge sync` and `moodle-bridge status`: mirror Moodle, and say what the mirror holds."""

from __future__ import annotations

import json

import click

from ..i18n import _
from .context import EXIT_NOT_READY, EXIT_USAGE, CommandError, Context, exclusive_if
from .root import main


@main.command()
@click.option("--full", is_flag=True, help="Re-read everything, grades of every course included.")
@click.option("--only", help="Comma-separated entities: categories, courses, cohorts, enrolments, users, "
                             "completions, grades.")
@click.option("--dry-run", is_flag=True, help="Read Moodle and show what would change; write nothing.")
@click.pass_obj
def sync(obj: Context, full: bool, only: str | None, dry_run: bool) -> None:
    """Mirror Moodle into the store (resumes an interrupted run)."""
    from ..sync import ENTITIES, Sync, SyncOptions
    from ..sync.progress import for_terminal
    from .sync_render import render_summary

    settings = obj.settings()
    wanted = None
    if only:
        wanted = frozenset(part.strip() for part in only.split(",") if part.strip())
        unknown = wanted - set(ENTITIES)
        if unknown:
            raise CommandError(_("unknown entities: {names} (choose from {all})").format(
                names=", ".join(sorted(unknown)), all=", ".join(ENTITIES)), EXIT_USAGE)
    engine = obj.store()
    # A dry run writes nothing, so it may read beside a running pipeline.
    with exclusive_if(engine, not dry_run), obj.client() as client:
        summary = Sync(settings, client, engine, progress=for_terminal()).run(
            SyncOptions(full=full, only=wanted, dry_run=dry_run))
    render_summary(summary)
    if not summary.ok:  # the summary's last line said what failed: only the exit code is left to give
        raise click.exceptions.Exit(EXIT_NOT_READY)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def status(obj: Context, as_json: bool) -> None:
    """What the mirror holds, and what the last sync changed."""
    from ..store.status import mirror_status
    from .sync_render import render_status

    report = mirror_status(obj.store())
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        render_status(report)

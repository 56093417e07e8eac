"""`moodle-bridge calendar`: required courses' and reading's due dates in the courses' Moodle calendars."""

from __future__ import annotations

from collections import Counter

import click
from rich.console import Console
from rich.table import Table

from ..i18n import N_, _, translated
from .actions import OUTCOMES
from .context import Context, exclusive_if
from .root import main

OPS = {"create": N_("create"), "update": N_("update"), "delete": N_("delete")}


@main.command()
@click.option("--dry-run/--apply", "dry_run", default=True, help="Only show what would change (the default), or "
              "change the events in Moodle.")
@click.pass_obj
def calendar(obj: Context, dry_run: bool) -> None:
    """Put the due dates of required courses and reading in the courses' Moodle calendars, moved and removed as
    the requirements change."""
    from ..actions import calendar as events

    do_it = not dry_run
    engine = obj.store()
    with exclusive_if(engine, do_it):  # plan and act under the pipeline's lock
        planned = events.steps(engine)
        with obj.client_if(do_it) as client:
            outcomes = events.apply(engine, client, planned, dry_run=not do_it)
    counts = Counter((o["detail"]["op"], o["status"]) for o in outcomes)
    table = Table(title=_("Due dates in Moodle's calendars"))
    table.add_column(_("Change"))
    table.add_column(_("Result"))
    table.add_column(_("How many"), justify="right")
    for (op, status), count in sorted(counts.items()):
        table.add_row(translated(OPS[op]), translated(OUTCOMES[status]), str(count))
    console = Console()
    console.print(table)
    if not outcomes:
        console.print(_("Nothing to change: the calendars hold what the latest evaluation asks."))
    if not do_it:
        console.print(_("Dry run: nothing was sent to Moodle. Run again with --apply to act."))

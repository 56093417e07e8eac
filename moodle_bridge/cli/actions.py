"""`moodle-bridge enrol-required` and `moodle-bridge notify` (dry run unless --apply)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from ..actions.notify import DEFAULT_INTERVAL_DAYS
from ..i18n import N_, _, translated
from .context import Context, exclusive_if
from .root import main

OUTCOMES = {"planned": N_("planned (dry run)"), "done": N_("done"), "unconfirmed": N_("unconfirmed"),
            "failed": N_("failed"), "skipped": N_("skipped")}


def _show(title: str, outcomes: Sequence[Mapping[str, Any]], dry_run: bool) -> None:
    console = Console()
    counts = Counter(o["status"] for o in outcomes)
    table = Table(title=title)
    table.add_column(_("Result"))
    table.add_column(_("How many"), justify="right")
    for status, count in sorted(counts.items()):
        table.add_row(translated(OUTCOMES[status]), str(count))
    console.print(table)
    if dry_run:
        console.print(_("Dry run: nothing was sent to Moodle. Run again with --apply to act."))


@main.command("enrol-required")
@click.option("--dry-run/--apply", "dry_run", default=True, help="Only show what would be done (the default), "
              "or enrol in Moodle.")
@click.pass_obj
def enrol_required(obj: Context, dry_run: bool) -> None:
    """Enrol cadres in the required courses the rules say they lack."""
    from ..actions import enrol

    do_it = not dry_run
    engine = obj.store()
    # When acting, plan and act under the pipeline's lock, so a scheduled run cannot act on the same plan.
    with exclusive_if(engine, do_it):
        plans = enrol.plan(engine)
        with obj.client_if(do_it) as client:
            outcomes = enrol.apply(engine, client, plans, dry_run=not do_it)
    _show(_("Enrolments in required courses"), outcomes, not do_it)


@main.command()
@click.option("--dry-run/--apply", "dry_run", default=True, help="Only show the messages (the default), or send them.")
@click.option("--interval-days", default=DEFAULT_INTERVAL_DAYS, show_default=True,
              help="Never the same flag again within this time.")
@click.pass_obj
def notify(obj: Context, dry_run: bool, interval_days: float) -> None:
    """Send each flagged cadre a Moodle message listing what is missing and by when."""
    from ..actions import notify as messages

    do_it = not dry_run
    engine = obj.store()
    # When acting, plan and act under the pipeline's lock, so a scheduled run cannot act on the same plan.
    with exclusive_if(engine, do_it):
        planned = messages.plan(engine, interval_days)
        with obj.client_if(do_it) as client:
            outcomes = messages.apply(engine, client, planned, dry_run=not do_it)
            outcomes += messages.send_queue(engine, client, dry_run=not do_it)
    _show(_("Messages to flagged cadres ({n} cadres)").format(n=len(planned)), outcomes, not do_it)
    for line in messages.summary(outcomes):  # refusals: how many, and what to configure in Moodle
        click.echo(line)


@main.command("profile-hours")
@click.option("--field", default="credited_hours", show_default=True, help="The profile field's short name.")
@click.option("--dry-run/--apply", "dry_run", default=True, help="Only show the values (the default), or write them.")
@click.pass_obj
def profile_hours(obj: Context, field: str, dry_run: bool) -> None:
    """Write each cadre's credited hours of the latest evaluation into a Moodle profile field."""
    from ..actions import profile_hours as writer

    do_it = not dry_run
    engine = obj.store()
    # When acting, plan and act under the pipeline's lock, so a scheduled run cannot act on the same plan.
    with exclusive_if(engine, do_it):
        plans = writer.plan(engine)
        with obj.client_if(do_it) as client:
            outcomes = writer.apply(engine, client, plans, field, dry_run=not do_it)
    _show(_("Credited hours into the profile field {field}").format(field=field), outcomes, not do_it)

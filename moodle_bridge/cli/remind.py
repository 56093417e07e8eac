"""`moodle-bridge remind`: the reminders due on a day (dry run unless --apply)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.table import Table

from ..i18n import N_, _, translated
from .context import EXIT_USAGE, CommandError, Context, exclusive_if
from .root import main

if TYPE_CHECKING:
    from ..actions.remind import RemindPlan

OUTCOMES = {"planned": N_("planned (dry run)"), "done": N_("done"), "failed": N_("failed")}
REASONS = {"before": N_("before the due day"), "due": N_("on the due day"), "after": N_("after the due day"),
           "pace": N_("behind pace (milestone)")}
LANGUAGES = {"en": N_("English"), "zh_CN": N_("Simplified Chinese")}


@main.command()
@click.option("--dry-run/--apply", "dry_run", default=True, help="Only show the reminders (the default), or send them.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="The day the reminders are for (default: today in the organisation's time zone); "
                   "with --apply, only today.")
@click.pass_obj
def remind(obj: Context, dry_run: bool, as_of: datetime | None) -> None:
    """Send each cadre the reminders due today: before, on and after a due day, and at milestones when behind pace."""
    from ..actions.notify import summary
    from ..services.reminders import remind as run
    from ..services.rules_file import RulesError

    do_it = not dry_run
    if do_it and as_of is not None:
        today = _today(obj.settings().sync.organisation_timezone)
        if as_of.date() != today:  # sent now and kept as sent, they would not go on their own day
            raise CommandError(_("--apply sends today's reminders only: {day} is not today ({today}, in the "
                                 "organisation's time zone); leave out --apply to see that day's.").format(
                day=as_of.date().isoformat(), today=today.isoformat()), EXIT_USAGE)
    engine = obj.store()
    # When acting, plan and act under the pipeline's lock, so a scheduled run cannot send the same reminder.
    with exclusive_if(engine, do_it), obj.client_if(do_it) as client:
        try:
            planned, outcomes = run(obj.settings(), engine, client, as_of.date() if as_of else None, dry_run=not do_it)
        except RulesError as exc:
            raise CommandError("\n".join([_("The rules file has problems:"), *("  " + p for p in exc.problems)]),
                               EXIT_USAGE) from None
    console = Console()
    table = Table(title=_("Reminders of {day} ({n} cadres)").format(day=planned.day.isoformat(),
                                                                   n=len(planned.messages)))
    table.add_column(_("Why"))
    table.add_column(_("Result"))
    table.add_column(_("How many"), justify="right")
    counts = Counter((o["detail"]["reason"], o["status"]) for o in outcomes)
    for (reason, status), count in sorted(counts.items()):
        table.add_row(translated(REASONS[reason]), translated(OUTCOMES[status]), str(count))
    console.print(table)
    for line in _languages(planned):
        console.print(line)
    if not do_it:
        console.print(_("Dry run: nothing was sent to Moodle. Run again with --apply to act."))
    for line in summary(outcomes):  # refusals: how many, and what to configure in Moodle
        click.echo(line)


def _today(zone: str) -> date:
    """Today in the organisation's time zone (the configuration's, which the rules' must be)."""
    return datetime.now(ZoneInfo(zone)).date()


def _languages(planned: RemindPlan) -> list[str]:
    """Which languages the messages are written in: the cadres' own in Moodle, and the default for the others."""
    from ..actions.remind import DEFAULT, MOODLE

    def name(language: str) -> str:
        return translated(LANGUAGES.get(language, language))

    counts = planned.languages()
    own = ", ".join(_("{language}: {n}").format(language=name(language), n=n)
                    for (source, language), n in sorted(counts.items()) if source == MOODLE)
    others = sum(n for (source, _language), n in counts.items() if source == DEFAULT)
    lines = []
    if own:
        lines.append(_("Written in the cadre's own language in Moodle: {languages}.").format(languages=own))
    if others or not own:
        lines.append(_("Written in {language}, the organisation's default (reminders.language in the rules file, else "
                       "the configuration's), for cadres whose language in Moodle is not known or not one "
                       "moodle_bridge speaks: {n}.").format(language=name(planned.language), n=others))
    return lines

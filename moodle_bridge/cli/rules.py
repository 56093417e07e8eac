"""Commands for rules, credits, exemptions, evaluation and flags (registered on the main group)."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from ..i18n import _, current_language, local_time
from ..reports.plain import difference_label, entry_kind_label, status_label
from ..rules import STATUSES
from ..rules.sections import Cadres
from .context import EXIT_USAGE, CommandError, Context, exclusive
from .root import main

if TYPE_CHECKING:
    from ..rules.loader import LoadedRules


def _rules(obj: Context, path: Path | None, to_evaluate: bool = False) -> LoadedRules:
    """The rules file (``path``, else the configured one); ``to_evaluate``: also in the configuration's zone."""
    from ..services.rules_file import RulesError, load_rules, load_rules_to_evaluate

    try:
        if to_evaluate:
            return load_rules_to_evaluate(obj.settings(), path)
        return load_rules(path or obj.settings().rules.file)
    except RulesError as exc:
        raise CommandError("\n".join([_("The rules file has problems:"), *("  " + p for p in exc.problems)]),
                           EXIT_USAGE) from None


def cadres_spec(obj: Context) -> Cadres:
    """Where the rules say a cadre's id is (so an import can name ids the mirror lacks); the default without a
    rules file yet."""
    if not obj.settings().rules.file.exists():
        return Cadres()
    return _rules(obj, None).rules.cadres


def _finite(hours: float) -> float:
    if not math.isfinite(hours):  # click's range lets NaN through (every comparison with NaN is false)
        raise click.BadParameter(_("{value} is not a number of hours").format(value=hours))
    return hours


def nothing_imported(problems: list[str]) -> CommandError:
    return CommandError("\n".join([_("Nothing was imported:"), *("  " + p for p in problems)]), EXIT_USAGE)


# --- rules ---------------------------------------------------------------------------------------


@main.group()
def rules() -> None:
    """The organisation department's rules file."""


@rules.command("check")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_obj
def rules_check(obj: Context, path: Path) -> None:
    """Validate a rules file and say, in plain words, what it will do."""
    from ..rules.describe import describe

    loaded = _rules(obj, path)
    for line in describe(loaded.rules):
        click.echo(line)
    click.echo(_("The rules are valid (fingerprint {digest}).").format(digest=loaded.digest[:12]))


# --- evaluation ----------------------------------------------------------------------------------


@main.command()
@click.option("--period", "label", help="The period (the year it starts in); default: the as-of day's.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="Evaluate as of this day (default: today).")
@click.option("--rules", "rules_path", type=click.Path(path_type=Path, dir_okay=False), help="Rules file.")
@click.option("--full", is_flag=True, help="Judge every cadre again, not only those whose facts changed.")
@click.option("--workers", type=click.IntRange(0, 64),
              help="Processes that judge when every cadre is judged (default: one a core, at most 4; 0: none, "
                   "the evaluation's own process judges).")
@click.pass_obj
def evaluate(obj: Context, label: str | None, as_of: datetime | None, rules_path: Path | None, full: bool,
             workers: int | None) -> None:
    """Post credits to the ledger and evaluate the cadres against the rules: those whose training, profile, offline
    records, exemptions or ledger changed since the last evaluation, or whose standing may have moved with the day
    (every cadre after a change of rules, courses or period)."""
    from ..services.evaluation import as_of_and_period
    from ..services.evaluation import evaluate as run_evaluation

    loaded = _rules(obj, rules_path, to_evaluate=True)
    engine = obj.store()
    day, label = as_of_and_period(loaded.rules, label, as_of.date() if as_of else None)
    with exclusive(engine):  # two evaluations at once would both end the held results and both write their own
        summary = run_evaluation(engine, loaded, label, day, incremental=not full, workers=workers)
    console = Console()
    console.print(_("Evaluation {id}: period {period}, as of {day}").format(
        id=summary.evaluation_id, period=label, day=day.isoformat()))
    total = sum(summary.statuses.values())
    console.print((_("{judged} of {total} cadres judged again; the others' results hold.") if summary.incremental
                   else _("Every cadre judged ({total}).")).format(judged=summary.judged, total=total))
    table = Table()
    table.add_column(_("Status"))
    table.add_column(_("Cadres"), justify="right")
    for status in STATUSES:
        if summary.statuses.get(status):
            table.add_row(status_label(status), str(summary.statuses[status]))
    console.print(table)
    console.print(_("{flags} flags; {posted} ledger entries posted; {differences} differences in closed periods.")
                  .format(flags=summary.flags, posted=summary.posted, differences=summary.differences))


# --- credits -------------------------------------------------------------------------------------


@main.group()
def credits() -> None:
    """Offline training and the credits ledger."""


@credits.command("template")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default="offline_training.csv")
def credits_template(output: Path) -> None:
    """Write an empty offline-training file (CSV or .xlsx) with the columns the import reads, in the language of
    the output (--lang)."""
    from ..services.offline import write_template

    write_template(output, current_language())
    click.echo(_("Wrote {path}: one training per row; days or hours; dates as YYYY-MM-DD.").format(path=output))


@credits.command("import")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.pass_obj
def credits_import(obj: Context, path: Path) -> None:
    """Import offline training (CSV or Excel). Any bad row: nothing is imported."""
    from ..services.offline import ImportError_, import_offline, parse_offline

    try:
        new, known = import_offline(obj.store(), parse_offline(path), path.name, cadres_spec(obj))
    except ImportError_ as exc:
        raise nothing_imported(exc.problems) from None
    click.echo(_("{new} rows imported, {known} already imported before.").format(new=new, known=known))


@credits.command("show")
@click.argument("cadre_id")
@click.pass_obj
def credits_show(obj: Context, cadre_id: str) -> None:
    """A cadre's ledger: every entry with its source."""
    from ..reports.names import source_detail, source_name
    from ..services.ledger import cadre_ledger

    ledger = cadre_ledger(obj.store(), cadre_id)
    table = Table(title=_("Credits ledger of {cadre}").format(cadre=cadre_id))
    for header in (_("No."), _("Period"), _("Source"), _("Kind"), _("Hours"), _("Online"), _("When"), _("Reason")):
        table.add_column(header)
    for e in ledger.entries:
        source = ledger.sources.get(e.source)
        named = e.source if source is None else " · ".join(filter(None, (source_name(source), source_detail(source))))
        table.add_row(str(e.id), e.period, named, entry_kind_label(e.kind), f"{e.hours:+.2f}",
                      _("yes") if e.online else _("no"), local_time(e.created_at, empty=""), e.reason or "")
    console = Console()
    console.print(table)
    for label, hours in ledger.totals.items():
        console.print(_("Period {period}: {hours:.2f} hours").format(period=label, hours=hours))


@credits.command("adjust")
@click.argument("cadre_id")
@click.argument("hours", type=click.FloatRange(-10_000, 10_000), callback=lambda _ctx, _param, v: _finite(v))
@click.option("--reason", required=True, help="Why (kept in the ledger).")
@click.option("--period", "label", required=True, help="The period it counts in.")
@click.option("--online", is_flag=True, help="Count it as online hours.")
@click.pass_obj
def credits_adjust(obj: Context, cadre_id: str, hours: float, reason: str, label: str, online: bool) -> None:
    """Add (or, negative, remove) hours by hand, with a reason."""
    from ..services.ledger import adjust

    loaded = _rules(obj, None)
    adjust(obj.store(), loaded.rules, cadre_id, hours, reason, label, online)
    click.echo(_("Adjustment recorded: {hours:+.2f} hours for {cadre} in {period}.").format(
        hours=hours, cadre=cadre_id, period=label))


@credits.command("withdraw")
@click.argument("row_id", type=int)
@click.option("--reason", required=True)
@click.pass_obj
def credits_withdraw(obj: Context, row_id: int, reason: str) -> None:
    """Withdraw an imported offline row; the next evaluation reverses what it earned."""
    from ..services.ledger import NoSuchRow, withdraw

    try:
        withdraw(obj.store(), row_id, reason)
    except NoSuchRow:
        raise CommandError(_("No imported row {id} (or it is already withdrawn).").format(id=row_id)) from None
    click.echo(_("Row {id} withdrawn; run `moodle-bridge evaluate` to reverse its credit.").format(id=row_id))


# --- exemptions and periods ----------------------------------------------------------------------


@main.group()
def exemptions() -> None:
    """Exemptions from the requirements."""


@exemptions.command("import")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.pass_obj
def exemptions_import(obj: Context, path: Path) -> None:
    """Import exemptions: CSV with cadre id, reason, from, to, effect (full or prorate)."""
    from ..services.exemptions import ImportError_, import_exemptions, read_exemptions

    try:
        new, known = import_exemptions(obj.store(), read_exemptions(path), cadres_spec(obj), path.name)
    except ImportError_ as exc:
        raise nothing_imported(exc.problems) from None
    click.echo(_("{new} exemptions imported, {known} already known.").format(new=new, known=known))


@main.group()
def period() -> None:
    """Training periods."""


@period.command("close")
@click.argument("label")
@click.pass_obj
def period_close(obj: Context, label: str) -> None:
    """Certify a period's results: later changes are reported, not applied."""
    from ..services.ledger import AlreadyClosed, NotEvaluated, close_period

    try:
        latest = close_period(obj.store(), label)
    except AlreadyClosed:
        raise CommandError(_("Period {period} is already closed.").format(period=label)) from None
    except NotEvaluated:
        raise CommandError(_("Evaluate period {period} before closing it.").format(period=label)) from None
    click.echo(_("Period {period} closed with evaluation {id}.").format(period=label, id=latest))


@period.command("differences")
@click.argument("label", required=False)
@click.pass_obj
def period_differences(obj: Context, label: str | None) -> None:
    """Changes found after closing (a Moodle reset, a rules edit), waiting for a decision."""
    from ..services.ledger import differences

    found = differences(obj.store(), label)
    table = Table(title=_("Differences in closed periods"))
    for header in (_("No."), _("Period"), _("Cadre ID"), _("Source"), _("Certified hours"), _("New hours"),
                   _("State")):
        table.add_column(header)
    for r in found:
        table.add_row(str(r.id), r.period, r.cadre_id, r.source, f"{r.certified_hours:.2f}",
                      f"{r.new_hours:.2f}", difference_label(r.state))
    Console().print(table)


@period.command("decide")
@click.argument("difference_id", type=int)
@click.argument("decision", type=click.Choice(["accept", "reject"]))
@click.pass_obj
def period_decide(obj: Context, difference_id: int, decision: str) -> None:
    """Accept a difference (the ledger of the closed period changes) or reject it (it stays certified)."""
    from ..services.ledger import NoSuchDifference, decide

    try:
        decide(obj.store(), difference_id, decision == "accept")
    except NoSuchDifference:
        raise CommandError(_("No waiting difference {id}.").format(id=difference_id)) from None
    click.echo(_("Difference {id}: {decision}.").format(id=difference_id,
                                                        decision=difference_label(decision + "ed")))

"""Commands for rules, credits, exemptions, evaluation and flags (registered on the main group)."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, select, update

from ..i18n import N_, _, translated
from ..reports.cells import WORKBOOK_OPTIONS
from .context import EXIT_USAGE, Context
from .root import main


def _rules(obj: Context, path: Path | None):
    from ..rules.loader import RulesError, load_rules

    target = path or obj.settings().rules.file
    try:
        return load_rules(target)
    except RulesError as exc:
        click.echo(_("The rules file has problems:"), err=True)
        for problem in exc.problems:
            click.echo("  " + problem, err=True)
        sys.exit(EXIT_USAGE)


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
@click.option("--period", "label", help="The period (the year it starts in); default: the current one.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="Evaluate as of this day (default: today).")
@click.option("--rules", "rules_path", type=click.Path(path_type=Path, dir_okay=False), help="Rules file.")
@click.pass_obj
def evaluate(obj: Context, label: str | None, as_of: datetime | None, rules_path: Path | None) -> None:
    """Post credits to the ledger and evaluate every cadre against the rules."""
    from ..rules.periods import period_of
    from ..rules.run import evaluate as run_evaluation

    loaded = _rules(obj, rules_path)
    engine = obj.store()
    from zoneinfo import ZoneInfo

    day = as_of.date() if as_of else datetime.now(ZoneInfo(loaded.rules.organisation.timezone)).date()
    label = label or period_of(int(datetime.now(UTC).timestamp()), loaded.rules.organisation).label
    summary = run_evaluation(engine, loaded, label, day)
    console = Console()
    console.print(_("Evaluation {id}: period {period}, as of {day}").format(
        id=summary.evaluation_id, period=label, day=day.isoformat()))
    table = Table()
    table.add_column(_("Status"))
    table.add_column(_("Cadres"), justify="right")
    for status in ("compliant", "on_track", "at_risk", "non_compliant", "exempt", "suspended"):
        if summary.statuses.get(status):
            table.add_row(translated(STATUS_LABELS[status]), str(summary.statuses[status]))
    console.print(table)
    console.print(_("{flags} flags; {posted} ledger entries posted; {differences} differences in closed periods.")
                  .format(flags=summary.flags, posted=summary.posted, differences=summary.differences))


STATUS_LABELS = {"compliant": N_("compliant"), "on_track": N_("on track"), "at_risk": N_("at risk"),
                 "non_compliant": N_("non-compliant"), "exempt": N_("exempt"), "suspended": N_("suspended")}


# --- credits -------------------------------------------------------------------------------------


@main.group()
def credits() -> None:
    """Offline training and the credits ledger."""


@credits.command("template")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default="offline_training.csv")
@click.option("--lang", "language", type=click.Choice(["en", "zh_CN"]), default="en", help="Header language.")
def credits_template(output: Path, language: str) -> None:
    """Write an empty offline-training file (CSV or .xlsx) with the columns the import reads."""
    from ..rules.imports import template_header

    header = template_header(language)
    if output.suffix.lower() == ".xlsx":
        import xlsxwriter

        book = xlsxwriter.Workbook(str(output), WORKBOOK_OPTIONS)
        book.add_worksheet().write_row(0, 0, header)
        book.close()
    else:
        output.write_bytes((",".join(header) + "\r\n").encode("utf-8-sig"))
    click.echo(_("Wrote {path}: one training per row; days or hours; dates as YYYY-MM-DD.").format(path=output))


@credits.command("import")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.pass_obj
def credits_import(obj: Context, path: Path) -> None:
    """Import offline training (CSV or Excel). Any bad row: nothing is imported."""
    from ..rules.imports import ImportError_, parse_offline
    from ..rules.records import store_offline

    try:
        rows = parse_offline(path)
    except ImportError_ as exc:
        click.echo(_("Nothing was imported:"), err=True)
        for problem in exc.problems:
            click.echo("  " + problem, err=True)
        sys.exit(EXIT_USAGE)
    new, known = store_offline(obj.store(), rows, path.name)
    click.echo(_("{new} rows imported, {known} already imported before.").format(new=new, known=known))


@credits.command("show")
@click.argument("cadre_id")
@click.pass_obj
def credits_show(obj: Context, cadre_id: str) -> None:
    """A cadre's ledger: every entry with its source."""
    from ..store.schema import credit_entries

    engine = obj.store()
    with engine.connect() as connection:
        entries = connection.execute(select(credit_entries).where(credit_entries.c.cadre_id == cadre_id)
                                     .order_by(credit_entries.c.id)).fetchall()
    table = Table(title=_("Credits ledger of {cadre}").format(cadre=cadre_id))
    for header in (_("No."), _("Period"), _("Source"), _("Kind"), _("Hours"), _("Online"), _("When"), _("Reason")):
        table.add_column(header)
    totals: dict[str, float] = {}
    for e in entries:
        totals[e.period] = totals.get(e.period, 0.0) + e.hours
        table.add_row(str(e.id), e.period, e.source, e.kind, f"{e.hours:+.2f}", _("yes") if e.online else _("no"),
                      e.created_at.strftime("%Y-%m-%d %H:%M") if e.created_at else "", e.reason or "")
    console = Console()
    console.print(table)
    for label, hours in sorted(totals.items()):
        console.print(_("Period {period}: {hours:.2f} hours").format(period=label, hours=hours))


@credits.command("adjust")
@click.argument("cadre_id")
@click.argument("hours", type=float)
@click.option("--reason", required=True, help="Why (kept in the ledger).")
@click.option("--period", "label", required=True, help="The period it counts in.")
@click.option("--online", is_flag=True, help="Count it as online hours.")
@click.pass_obj
def credits_adjust(obj: Context, cadre_id: str, hours: float, reason: str, label: str, online: bool) -> None:
    """Add (or, negative, remove) hours by hand, with a reason."""
    from ..rules.periods import period
    from ..store.schema import credit_entries

    loaded = _rules(obj, None)
    engine = obj.store()
    with engine.begin() as connection:
        number = (connection.execute(select(func.count()).select_from(credit_entries)
                                     .where(credit_entries.c.kind == "adjustment")).scalar() or 0) + 1
        connection.execute(insert(credit_entries).values(
            cadre_id=cadre_id, source=f"adjustment:{number}", period=label, hours=hours, online=online,
            earned_at=period(label, loaded.rules.organisation).start, kind="adjustment", reason=reason,
            rules_hash=None, detail={}, created_at=datetime.now(UTC)))
    click.echo(_("Adjustment recorded: {hours:+.2f} hours for {cadre} in {period}.").format(
        hours=hours, cadre=cadre_id, period=label))


@credits.command("withdraw")
@click.argument("row_id", type=int)
@click.option("--reason", required=True)
@click.pass_obj
def credits_withdraw(obj: Context, row_id: int, reason: str) -> None:
    """Withdraw an imported offline row; the next evaluation reverses what it earned."""
    from ..store.schema import offline_records

    engine = obj.store()
    with engine.begin() as connection:
        done = connection.execute(update(offline_records).where(
            offline_records.c.id == row_id, offline_records.c.withdrawn_at.is_(None)).values(
            withdrawn_at=datetime.now(UTC), withdraw_reason=reason)).rowcount
    if not done:
        raise click.ClickException(_("No imported row {id} (or it is already withdrawn).").format(id=row_id))
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
    import hashlib

    from ..rules.imports import read_table
    from ..store.schema import exemptions as table

    rows, problems = [], []
    body = read_table(path)
    header = [str(c or "").strip().lower() for c in body[0][1]] if body else []
    for line, cells in body[1:]:
        item = dict(zip(header, cells, strict=False))
        try:
            start, end = date.fromisoformat(str(item["from"])), date.fromisoformat(str(item["to"]))
            effect = str(item.get("effect") or "prorate")
            if effect not in ("full", "prorate") or end < start or not item.get("cadre id") or not item.get("reason"):
                raise ValueError
        except (KeyError, ValueError):
            problems.append(f"{path}:{line}: needs cadre id, reason, from and to (YYYY-MM-DD), effect full or prorate")
            continue
        rows.append((str(item["cadre id"]), str(item["reason"]), start, end, effect))
    if problems or not body:
        click.echo(_("Nothing was imported:"), err=True)
        for problem in problems or [f"{path}: empty"]:
            click.echo("  " + problem, err=True)
        sys.exit(EXIT_USAGE)
    engine = obj.store()
    with engine.begin() as connection:
        known = {r.key for r in connection.execute(select(table.c.key))}
        now = datetime.now(UTC)
        fresh = []
        for cadre_id, reason, start, end, effect in rows:
            key = hashlib.sha256(f"{cadre_id}|{reason}|{start}|{end}|{effect}".encode()).hexdigest()
            if key not in known:
                known.add(key)
                fresh.append({"key": key, "cadre_id": cadre_id, "reason": reason, "start": start, "end": end,
                              "effect": effect, "source": "import", "created_at": now})
        if fresh:
            connection.execute(insert(table), fresh)
    click.echo(_("{new} exemptions imported, {known} already known.").format(new=len(fresh), known=len(rows) - len(fresh)))


@main.group()
def period() -> None:
    """Training periods."""


@period.command("close")
@click.argument("label")
@click.pass_obj
def period_close(obj: Context, label: str) -> None:
    """Certify a period's results: later changes are reported, not applied."""
    from ..store.schema import evaluations, period_closures

    engine = obj.store()
    with engine.begin() as connection:
        if connection.execute(select(period_closures).where(period_closures.c.period == label)).first():
            raise click.ClickException(_("Period {period} is already closed.").format(period=label))
        latest = connection.execute(select(evaluations.c.id).where(evaluations.c.period == label)
                                    .order_by(evaluations.c.id.desc())).scalar()
        if latest is None:
            raise click.ClickException(_("Evaluate period {period} before closing it.").format(period=label))
        connection.execute(insert(period_closures).values(period=label, closed_at=datetime.now(UTC),
                                                          evaluation_id=latest))
    click.echo(_("Period {period} closed with evaluation {id}.").format(period=label, id=latest))




@period.command("differences")
@click.argument("label", required=False)
@click.pass_obj
def period_differences(obj: Context, label: str | None) -> None:
    """Changes found after closing (a Moodle reset, a rules edit), waiting for a decision."""
    from ..store.schema import closing_differences

    engine = obj.store()
    query = select(closing_differences).order_by(closing_differences.c.id)
    if label:
        query = query.where(closing_differences.c.period == label)
    table = Table(title=_("Differences in closed periods"))
    for header in (_("No."), _("Period"), _("Cadre ID"), _("Source"), _("Certified hours"), _("New hours"),
                   _("State")):
        table.add_column(header)
    with engine.connect() as connection:
        for r in connection.execute(query):
            table.add_row(str(r.id), r.period, r.cadre_id, r.source, f"{r.certified_hours:.2f}",
                          f"{r.new_hours:.2f}", translated(DIFFERENCE_STATES[r.state]))
    Console().print(table)


DIFFERENCE_STATES = {"pending": N_("waiting"), "accepted": N_("accepted"), "rejected": N_("rejected")}


@period.command("decide")
@click.argument("difference_id", type=int)
@click.argument("decision", type=click.Choice(["accept", "reject"]))
@click.pass_obj
def period_decide(obj: Context, difference_id: int, decision: str) -> None:
    """Accept a difference (the ledger of the closed period changes) or reject it (it stays certified)."""
    from ..store.schema import closing_differences, credit_entries

    engine = obj.store()
    now = datetime.now(UTC)
    with engine.begin() as connection:
        row = connection.execute(select(closing_differences).where(
            closing_differences.c.id == difference_id, closing_differences.c.state == "pending")).first()
        if row is None:
            raise click.ClickException(_("No waiting difference {id}.").format(id=difference_id))
        if decision == "accept":
            # Bring what stands to the accepted value, whatever was accepted before for this source.
            entries = connection.execute(select(credit_entries).where(
                credit_entries.c.cadre_id == row.cadre_id, credit_entries.c.source == row.source,
                credit_entries.c.period == row.period).order_by(credit_entries.c.id)).fetchall()
            standing = round(sum(e.hours for e in entries), 4)
            latest = next((e for e in reversed(entries) if e.kind != "reversal"), None)
            reason = f"post-closing difference {difference_id} accepted"
            common = {"cadre_id": row.cadre_id, "source": row.source, "period": row.period, "rules_hash": None,
                      "detail": {}, "created_at": now, "reason": reason}
            posts = []
            if abs(standing) >= 0.005:
                posts.append({**common, "hours": -standing, "kind": "reversal",
                              "online": latest.online if latest else False,
                              "earned_at": latest.earned_at if latest else 0})
            if abs(row.new_hours) >= 0.005:
                posts.append({**common, "hours": row.new_hours, "kind": "credit",
                              "online": bool(row.new_online), "earned_at": row.new_earned_at or 0})
            if posts:
                connection.execute(insert(credit_entries), posts)
        connection.execute(update(closing_differences).where(closing_differences.c.id == difference_id).values(
            state="accepted" if decision == "accept" else "rejected", decided_at=now))
    click.echo(_("Difference {id}: {decision}.").format(id=difference_id,
                                                        decision=translated(DIFFERENCE_STATES[decision + "ed"])))

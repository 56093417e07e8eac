"""Commands for rules, credits, exemptions, evaluation and flags (registered on the main group)."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, select, update

from .cli import EXIT_NOT_READY, EXIT_USAGE, Context, _store, main
from .i18n import N_, _, translated
from .reports.cells import WORKBOOK_OPTIONS, safe_cell


def _rules(obj: Context, path: Path | None):
    from .rules.loader import RulesError, load_rules

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
    from .rules.describe import describe

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
    from .rules.periods import period_of
    from .rules.run import evaluate as run_evaluation

    loaded = _rules(obj, rules_path)
    engine = _store(obj.settings())
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


# --- flags ---------------------------------------------------------------------------------------


def _latest_evaluations(connection, count: int = 2):
    from .store.schema import evaluations

    return [r.id for r in connection.execute(select(evaluations.c.id).order_by(evaluations.c.id.desc()).limit(count))]


def flag_rows(connection, evaluation_id: int, unit=None, group=None, kind=None) -> list[dict]:
    from .rules.evaluate import FLAG_KINDS
    from .store.schema import evaluation_flags, evaluation_results

    results = {r.cadre_id: r for r in connection.execute(
        select(evaluation_results).where(evaluation_results.c.evaluation_id == evaluation_id))}
    rows = []
    for f in connection.execute(select(evaluation_flags).where(evaluation_flags.c.evaluation_id == evaluation_id)
                                .order_by(evaluation_flags.c.id)):
        cadre = results[f.cadre_id]
        if (unit and unit not in (cadre.unit_code, cadre.unit_name)) or (group and f.group_name != group) or (
                kind and f.kind != kind):
            continue
        rows.append({"cadre_id": f.cadre_id, "name": cadre.name, "unit": cadre.unit_name, "unit_code": cadre.unit_code,
                     "status": cadre.status, "flag": translated(FLAG_KINDS[f.kind]), "kind": f.kind,
                     "group": f.group_name, "rule": f.rule, "evidence": f.evidence})
    return rows


def _evidence_text(evidence: dict) -> str:
    return "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in evidence.items())


@main.command()
@click.option("--unit", help="Only this unit (code or name).")
@click.option("--group", help="Only this group of the rules.")
@click.option("--kind", help="Only this kind of flag, e.g. insufficient_hours.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "xlsx"]), default="table")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to this file.")
@click.option("--diff", is_flag=True, help="Flags new and resolved since the previous evaluation.")
@click.pass_obj
def flags(obj: Context, unit, group, kind, fmt, output, diff) -> None:
    """The flagged cadres of the latest evaluation."""
    engine = _store(obj.settings())
    with engine.connect() as connection:
        latest = _latest_evaluations(connection)
        if not latest:
            click.echo(_("No evaluation yet: run `moodle-bridge evaluate`."), err=True)
            sys.exit(EXIT_NOT_READY)
        rows = flag_rows(connection, latest[0], unit, group, kind)
        if diff:
            before = flag_rows(connection, latest[1], unit, group, kind) if len(latest) > 1 else []
            key = lambda r: (r["cadre_id"], r["kind"], r["rule"])  # noqa: E731
            now_keys, old_keys = {key(r) for r in rows}, {key(r) for r in before}
            rows = ([{**r, "change": "new"} for r in rows if key(r) not in old_keys]
                    + [{**r, "change": "resolved"} for r in before if key(r) not in now_keys])
    columns = (["change"] if diff else []) + ["cadre_id", "name", "unit", "status", "flag", "rule", "evidence"]
    headers = {"change": _("Change"), "cadre_id": _("Cadre ID"), "name": _("Name"), "unit": _("Unit"),
               "status": _("Status"), "flag": _("Flag"), "rule": _("Rule"), "evidence": _("Evidence")}
    table_rows = [[translated(STATUS_LABELS[r["status"]]) if c == "status" else
                   _evidence_text(r["evidence"]) if c == "evidence" else r.get(c, "") for c in columns] for r in rows]
    if fmt == "json":
        text = json.dumps(rows, ensure_ascii=False, indent=2)
        _emit(text.encode(), output)
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([headers[c] for c in columns])
        writer.writerows([[safe_cell(v) for v in row] for row in table_rows])
        _emit(buffer.getvalue().encode("utf-8-sig"), output)  # the BOM: spreadsheet programs then read Chinese right
    elif fmt == "xlsx":
        if output is None:
            raise click.UsageError(_("--format xlsx needs --output FILE"))
        import xlsxwriter

        book = xlsxwriter.Workbook(str(output), WORKBOOK_OPTIONS)
        sheet = book.add_worksheet(_("Flags")[:31])
        sheet.write_row(0, 0, [headers[c] for c in columns], book.add_format({"bold": True}))
        for n, row in enumerate(table_rows, start=1):
            sheet.write_row(n, 0, [safe_cell(v) for v in row])
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(1, len(table_rows)), len(columns) - 1)
        book.close()
    else:
        table = Table(title=_("Flagged cadres ({n})").format(n=len(rows)))
        for c in columns:
            table.add_column(headers[c], overflow="fold")
        for row in table_rows:
            table.add_row(*[str(v) for v in row])
        console = Console(file=output.open("w", encoding="utf-8") if output else None)
        console.print(table)


def _emit(data: bytes, output: Path | None) -> None:
    if output:
        output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


# --- credits -------------------------------------------------------------------------------------


@main.group()
def credits() -> None:
    """Offline training and the credits ledger."""


@credits.command("template")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default="offline_training.csv")
@click.option("--lang", "language", type=click.Choice(["en", "zh_CN"]), default="en", help="Header language.")
def credits_template(output: Path, language: str) -> None:
    """Write an empty offline-training file (CSV or .xlsx) with the columns the import reads."""
    from .rules.imports import template_header

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
    from .rules.imports import ImportError_, parse_offline
    from .rules.records import store_offline

    try:
        rows = parse_offline(path)
    except ImportError_ as exc:
        click.echo(_("Nothing was imported:"), err=True)
        for problem in exc.problems:
            click.echo("  " + problem, err=True)
        sys.exit(EXIT_USAGE)
    new, known = store_offline(_store(obj.settings()), rows, path.name)
    click.echo(_("{new} rows imported, {known} already imported before.").format(new=new, known=known))


@credits.command("show")
@click.argument("cadre_id")
@click.pass_obj
def credits_show(obj: Context, cadre_id: str) -> None:
    """A cadre's ledger: every entry with its source."""
    from .store.schema import credit_entries

    engine = _store(obj.settings())
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
    from .rules.periods import period
    from .store.schema import credit_entries

    loaded = _rules(obj, None)
    engine = _store(obj.settings())
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
    from .store.schema import offline_records

    engine = _store(obj.settings())
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

    from .rules.imports import read_table
    from .store.schema import exemptions as table

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
    engine = _store(obj.settings())
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
    from .store.schema import evaluations, period_closures

    engine = _store(obj.settings())
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
    from .store.schema import closing_differences

    engine = _store(obj.settings())
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
    from .store.schema import closing_differences, credit_entries

    engine = _store(obj.settings())
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

"""`moodle-bridge flags`: the flagged cadres of the latest evaluation, or what changed since the one before."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from ..i18n import _, translated
from ..reports.cells import WORKBOOK_OPTIONS, safe_cell
from .context import EXIT_NOT_READY, Context
from .root import main
from .rules import STATUS_LABELS


def _latest_evaluations(connection, count: int = 2):
    from ..store.schema import evaluations

    return [r.id for r in connection.execute(select(evaluations.c.id).order_by(evaluations.c.id.desc()).limit(count))]


def flag_rows(connection, evaluation_id: int, unit=None, group=None, kind=None) -> list[dict]:
    from ..rules.evaluate import FLAG_KINDS
    from ..store.schema import evaluation_flags, evaluation_results

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
    engine = obj.store()
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

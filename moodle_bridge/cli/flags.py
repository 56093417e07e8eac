"""`moodle-bridge flags`: the flagged cadres of the latest evaluation, or what changed since the one before."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from .. import results
from ..i18n import N_, _, translated
from ..reports import export
from ..reports.names import flag_requirement
from ..reports.plain import explain, flag_label, status_label
from ..rules.model import Rules
from .context import EXIT_USAGE, CommandError, Context
from .root import main

COLUMNS = ("cadre_id", "name", "unit", "status", "flag", "requirement", "evidence")


def _record(row: results.FlagRow, rules: Rules | None, change: str | None = None) -> dict[str, Any]:
    """A flag as the JSON output has it: the codes a program reads, and the flag's label and its requirement in
    the staff's language."""
    record: dict[str, Any] = {"cadre_id": row.cadre_id, "name": row.name, "unit": row.unit_name,
                              "unit_code": row.unit_code, "status": row.status, "flag": flag_label(row.kind),
                              "kind": row.kind, "group": row.group, "rule": row.rule,
                              "requirement": flag_requirement(rules, row.group, row.rule), "evidence": row.evidence}
    return record if change is None else {**record, "change": change}


CHANGES = {"new": N_("new"), "resolved": N_("resolved")}  # --diff: a flag raised or gone since the evaluation before


def _cell(record: dict[str, Any], column: str) -> Any:
    if column == "status":
        return status_label(record["status"])
    if column == "evidence":
        return explain(record["kind"], record["evidence"])
    if column == "change":
        return translated(CHANGES[record["change"]])
    return record.get(column, "")


@main.command()
@click.option("--unit", help="Only this unit (code or name).")
@click.option("--group", help="Only this group of the rules.")
@click.option("--kind", help="Only this kind of flag, e.g. insufficient_hours.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "xlsx"]), default="table")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to this file.")
@click.option("--diff", is_flag=True, help="Flags new and resolved since the previous evaluation.")
@click.pass_obj
def flags(obj: Context, unit: str | None, group: str | None, kind: str | None, fmt: str, output: Path | None,
          diff: bool) -> None:
    """The flagged cadres of the latest evaluation."""
    where = results.FlagFilter(unit=unit, group=group, kind=kind)
    with obj.store().connect() as connection:
        latest = results.latest_evaluations(connection)
        if not latest:
            raise CommandError(_("No evaluation yet: run `moodle-bridge evaluate`."))
        rules = results.judged_rules(connection, latest[0].rules_hash)
        if diff:
            changes = results.flag_diff(connection, latest[0].id, latest[1].id if len(latest) > 1 else None, where)
            # a resolved flag was raised by the evaluation before, perhaps under other rules: named by those
            before = results.judged_rules(connection, latest[1].rules_hash) if len(latest) > 1 else None
            records = ([_record(r, rules, "new") for r in changes.new]
                       + [_record(r, before, "resolved") for r in changes.resolved])
        else:
            records = [_record(r, rules) for r in results.flags(connection, latest[0].id, where)]
    columns = (["change"] if diff else []) + list(COLUMNS)
    headers = {"change": _("Change"), "cadre_id": _("Cadre ID"), "name": _("Name"), "unit": _("Unit"),
               "status": _("Status"), "flag": _("Flag"), "requirement": _("Requirement"),
               "evidence": _("Evidence")}
    sheet = export.Sheet(_("Flags"), [headers[c] for c in columns],
                         [[_cell(r, c) for c in columns] for r in records])
    if fmt == "json":
        _emit(export.json_bytes(records), output)
    elif fmt == "csv":
        _emit(export.csv_bytes([sheet]), output)
    elif fmt == "xlsx":
        if output is None:
            raise CommandError(_("--format xlsx needs --output FILE"), EXIT_USAGE)
        export.write_xlsx([sheet], output)
    else:
        table = Table(title=_("Flagged cadres ({n})").format(n=len(records)))
        for title in sheet.headers:
            table.add_column(title, overflow="fold")
        for row in sheet.rows:
            table.add_row(*[str(v) for v in row])
        console = Console(file=output.open("w", encoding="utf-8") if output else None)
        console.print(table)


def _emit(data: bytes, output: Path | None) -> None:
    if output:
        output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()

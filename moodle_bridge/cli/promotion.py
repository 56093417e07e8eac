"""`moodle-bridge check-promotion`: whether candidates for a promotion meet the training requirements, and why not."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ..i18n import _
from .context import EXIT_USAGE, CommandError, Context
from .root import main


@main.command("check-promotion")
@click.argument("cadre_ids", nargs=-1)
@click.option("--file", "path", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The candidates: a CSV or Excel file with a column headed 'cadre id' (or 干部编号), and optionally "
                   "'name' (or 姓名), checked against the cadre's name.")
@click.option("--rules", "rules_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Rules file (default: the configured one): its promotion section says which periods count.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="Check as on this day: the periods ended before it (default: today).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "xlsx", "html", "pdf"]), default="table")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help="Write to this file.")
@click.pass_obj
def check_promotion(obj: Context, cadre_ids: tuple[str, ...], path: Path | None, rules_path: Path | None,
                    as_of: datetime | None, fmt: str, output: Path | None) -> None:
    """Check candidates for a promotion (CADRE_IDS and/or --file): whether each meets the training requirements over
    the periods the rules' promotion section names, why not in plain words, and the make-up owed."""
    from ..reports import promotion as words
    from ..reports.pdf import PdfUnavailable
    from ..services import promotion
    from ..services.rules_file import RulesError, load_rules

    if fmt in ("xlsx", "pdf") and output is None:
        raise CommandError(_("--format {format} needs --output FILE").format(format=fmt), EXIT_USAGE)
    try:
        given = promotion.candidates(cadre_ids, path)
    except promotion.ImportError_ as exc:
        raise CommandError("\n".join([_("Nothing was checked: the candidates' list has problems:"),
                                      *("  " + p for p in exc.problems)]), EXIT_USAGE) from None
    if not given:
        raise CommandError(_("Give the candidates: cadre ids, or --file with a column of cadre ids."), EXIT_USAGE)
    try:
        rules = load_rules(rules_path or obj.settings().rules.file).rules
    except RulesError as exc:
        raise CommandError("\n".join([_("The rules file has problems:"), *("  " + p for p in exc.problems)]),
                           EXIT_USAGE) from None
    found = promotion.check(obj.store(), rules, given, as_of.date() if as_of else None)
    if fmt == "table":
        table = Table(title=f"{words.title()}\n{words.summary_text(found)}", caption=words.checked_text(found),
                      show_lines=True)
        for header in words.headers(found):
            table.add_column(header, overflow="fold")
        for row in words.rows(found):
            table.add_row(str(row.number), row.cadre_id, row.name, row.unit, row.rank, *(c.text for c in row.periods),
                          row.verdict_label, "\n".join(row.reasons), "\n".join(row.makeup))
        Console(file=output.open("w", encoding="utf-8") if output else None).print(table)
        return
    if output is None:  # CSV or HTML to standard output, as other tools do
        from ..reports import export

        data = export.csv_bytes([words.sheet(found)]) if fmt == "csv" else words.html(found).encode()
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        written = promotion.write(found, fmt, output)
    except PdfUnavailable as exc:
        raise CommandError(str(exc)) from None
    click.echo(_("Wrote {path}").format(path=written))
    click.echo(words.summary_text(found))

"""`moodle-bridge report` (registered on the main group)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli import EXIT_NOT_READY, Context, _store, main
from .i18n import _


def write_report(engine, kind: str, fmt: str, output: Path, period: str | None = None, unit: str | None = None,
                 cadre_id: str | None = None) -> Path:
    """Write one report; the path written. Raises reports.data.NoEvaluation or KeyError."""
    from .reports import data as source
    from .reports import render

    with engine.connect() as connection:
        if kind == "units":
            content = source.units(connection, period, unit)
            tables = render.units_tables(content)
        elif kind == "flagged":
            content = source.flagged(connection, period, unit)
            tables = render.flagged_tables(content)
        else:
            content = source.cadre_file(connection, cadre_id, period)
            tables = render.cadre_tables(content)
    if fmt == "html":
        output.write_text(render.html(kind, content), encoding="utf-8")
    elif fmt == "csv":
        output.write_bytes(render.csv_bytes(tables))
    elif fmt == "xlsx":
        render.xlsx(tables, output)
    else:
        output.write_bytes(render.json_bytes(content))
    return output


@main.command()
@click.argument("kind", type=click.Choice(["flagged", "units", "cadre"]))
@click.argument("cadre_id", required=False)
@click.option("--period", help="The period (default: the latest evaluation's).")
@click.option("--unit", help="Only this unit (code or name).")
@click.option("--format", "fmt", type=click.Choice(["html", "csv", "xlsx", "json"]), default="html")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="The file to write.")
@click.pass_obj
def report(obj: Context, kind: str, cadre_id: str | None, period: str | None, unit: str | None, fmt: str,
           output: Path | None) -> None:
    """Flagged cadres by unit, unit completion rates, or one cadre's training file."""
    from .reports.data import NoEvaluation

    if kind == "cadre" and not cadre_id:
        raise click.UsageError(_("report cadre needs a CADRE_ID"))
    engine = _store(obj.settings())
    output = output or Path(f"{kind}{'-' + cadre_id if cadre_id else ''}.{fmt}")
    try:
        written = write_report(engine, kind, fmt, output, period, unit, cadre_id)
    except NoEvaluation:
        click.echo(_("No evaluation yet: run `moodle-bridge evaluate`."), err=True)
        sys.exit(EXIT_NOT_READY)
    except KeyError:
        click.echo(_("No cadre {cadre} in the latest evaluation.").format(cadre=cadre_id), err=True)
        sys.exit(EXIT_NOT_READY)
    click.echo(_("Wrote {path}").format(path=written))

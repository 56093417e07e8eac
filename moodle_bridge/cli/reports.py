"""`moodle-bridge report` (registered on the main group)."""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import _
from .context import EXIT_USAGE, CommandError, Context
from .root import main


@main.command()
@click.argument("kind", type=click.Choice(["flagged", "units", "summary", "cadre"]))
@click.argument("cadre_id", required=False)
@click.option("--period", help="The period (default: the latest evaluation's).")
@click.option("--unit", help="Only this unit (code or name).")
@click.option("--format", "fmt", type=click.Choice(["html", "csv", "xlsx", "json"]), default="html")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="The file to write.")
@click.pass_obj
def report(obj: Context, kind: str, cadre_id: str | None, period: str | None, unit: str | None, fmt: str,
           output: Path | None) -> None:
    """Flagged cadres by unit, units ranked by completion rate, the year-end summary, or one cadre's training
    file."""
    from ..results import NoEvaluation
    from ..services.report_files import report_json, write_report

    if kind == "cadre" and not cadre_id:
        raise CommandError(_("report cadre needs a CADRE_ID"), EXIT_USAGE)
    engine = obj.store()
    try:
        if fmt == "json" and output is None:  # data for another program: to standard output, like other tools
            click.echo(report_json(engine, kind, period, unit, cadre_id).decode())
            return
        output = output or Path(f"{kind}{'-' + cadre_id if cadre_id else ''}.{fmt}")
        written = write_report(engine, kind, fmt, output, period, unit, cadre_id)
    except NoEvaluation:
        raise CommandError(_("No evaluation yet: run `moodle-bridge evaluate`."))
    except KeyError:
        raise CommandError(_("No cadre {cadre} in the latest evaluation.").format(cadre=cadre_id))
    click.echo(_("Wrote {path}").format(path=written))

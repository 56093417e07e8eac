"""`moodle-bridge report` (registered on the main group)."""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import _
from .context import EXIT_USAGE, CommandError, Context
from .root import main


@main.command()
@click.argument("kind", type=click.Choice(["flagged", "units", "summary", "assessment", "training-file", "cadre",
                                           "course-evaluation", "training-needs"]))
@click.argument("cadre_id", required=False)
@click.option("--period", help="The period (default: the latest evaluation's).")
@click.option("--unit", help="Only this unit (code or name).")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "csv", "xlsx", "json", "zip"]), default="html",
              help="zip: a unit's training files, one PDF per cadre.")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="The file to write.")
@click.pass_obj
def report(obj: Context, kind: str, cadre_id: str | None, period: str | None, unit: str | None, fmt: str,
           output: Path | None) -> None:
    """Flagged cadres by unit, units ranked by completion rate, the year-end summary, the year-end assessment of units
    against their targets, or the training file of one cadre (CADRE_ID) or of every cadre of a unit (--unit);
    `cadre` is the training file's older name. course-evaluation and training-needs: what trainees answered in
    Moodle's Feedback activities (features.feedback)."""
    from ..reports.pdf import PdfUnavailable
    from ..results import NoEvaluation
    from ..services.report_files import NotInThisFormat, report_json, write_report

    if kind in ("training-file", "cadre") and not (cadre_id or unit):
        raise CommandError(_("report training-file needs a CADRE_ID or --unit"), EXIT_USAGE)
    engine = obj.store()
    try:
        if fmt == "json" and output is None:  # data for another program: to standard output, like other tools
            click.echo(report_json(engine, kind, period, unit, cadre_id).decode())
            return
        named = cadre_id or (unit if kind in ("training-file", "cadre") else None)
        output = output or Path(f"{kind}{'-' + named if named else ''}.{fmt}")
        written = write_report(engine, kind, fmt, output, period, unit, cadre_id)
    except NoEvaluation:
        raise CommandError(_("No evaluation yet: run `moodle-bridge evaluate`."))
    except KeyError:
        if cadre_id is None and unit:
            raise CommandError(_("No cadre of unit {unit} in the latest evaluation.").format(unit=unit))
        raise CommandError(_("No cadre {cadre} in the latest evaluation.").format(cadre=cadre_id))
    except NotInThisFormat:
        raise CommandError(_("{kind} is not written as {format}.").format(kind=kind, format=fmt), EXIT_USAGE)
    except PdfUnavailable as exc:
        raise CommandError(str(exc))
    click.echo(_("Wrote {path}").format(path=written))

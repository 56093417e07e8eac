"""`moodle-bridge targets`: the units' targets of a period, for the year-end assessment (registered on the main
group; the assessment itself is `moodle-bridge report assessment`)."""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import _, current_language
from .context import EXIT_USAGE, CommandError, Context
from .root import main
from .rules import cadres_spec


def _period(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    from ..services.targets import EARLIEST_YEAR, LATEST_YEAR, period_label

    try:
        return period_label(value)
    except ValueError:
        raise click.BadParameter(_("{value!r} is not a period: give its year, {first} to {last} (e.g. 2026)").format(
            value=value, first=EARLIEST_YEAR, last=LATEST_YEAR)) from None


@main.group()
def targets() -> None:
    """Each unit's targets of a period (target responsibility), which the year-end assessment scores."""


@targets.command("template")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default="unit_targets.xlsx")
@click.option("--empty", is_flag=True, help="Without the units of the latest evaluation.")
@click.pass_obj
def targets_template(obj: Context, output: Path, empty: bool) -> None:
    """Write a targets file (.xlsx or CSV) with the columns the import reads, a row for each unit of the latest
    evaluation, in the language of the output (--lang)."""
    from ..services.targets import template_units, write_template

    units: list[tuple[str, str]] = []
    if not empty:
        try:
            units = template_units(obj.store())
        except CommandError:  # no store yet (not made or not migrated): the template without units
            units = []
    write_template(output, current_language(), units)
    click.echo(_("Wrote {path}: one unit per row; percents as numbers (90 for 90%); a blank target is not "
                 "assessed.").format(path=output))


@targets.command("import")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--period", required=True, callback=_period, help="The period the targets are for (its year).")
@click.pass_obj
def targets_import(obj: Context, path: Path, period: str) -> None:
    """Import the units' targets of a period (CSV or Excel): they replace the period's earlier ones. Any bad row:
    nothing is imported."""
    from ..services.targets import ImportError_, import_targets, parse_targets

    try:
        units, replaced = import_targets(obj.store(), parse_targets(path), period, path.name, cadres_spec(obj))
    except ImportError_ as exc:
        raise CommandError("\n".join([_("Nothing was imported:"), *("  " + p for p in exc.problems)]),
                           EXIT_USAGE) from None
    click.echo(_("Targets of {units} units imported for the {period} period ({replaced} earlier rows replaced).")
               .format(units=units, period=period, replaced=replaced))

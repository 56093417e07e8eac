"""`moodle-bridge units`: the unit tree (as its source holds it now), the units file and the transfers file."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ..i18n import _, current_language
from .context import EXIT_NOT_READY, CommandError, Context
from .root import main
from .rules import cadres_spec, nothing_imported


@main.group()
def units() -> None:
    """The unit tree and cadres' moves between units."""


@units.command("show")
@click.pass_obj
def units_show(obj: Context) -> None:
    """The unit tree as the rules' source holds it now (what the next evaluation uses), each unit below its parent;
    its problems, if any, exit non-zero."""
    from ..services.units import current_tree

    spec = cadres_spec(obj)
    engine = obj.store()
    with engine.connect() as connection:
        tree = current_tree(connection, spec)
    if not tree:
        click.echo(_("The units are flat: the rules name no source for a unit tree (cadres.unit.tree)."))
        return
    table = Table(title=_("Unit tree"))
    for header in (_("Unit"), _("Unit code"), _("Parent unit")):
        table.add_column(header)
    for code in tree.ordered(tree.units):
        parent = tree.parent(code)
        table.add_row("    " * tree.depth(code) + (tree.name(code) or code), code,
                      (tree.name(parent) or parent) if parent else "")
    Console().print(table)
    if tree.problems:
        raise CommandError("\n".join([_("The unit tree has problems:"), *("  " + p for p in tree.problems)]),
                           EXIT_NOT_READY)


@units.command("template")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default="units.csv")
def units_template(output: Path) -> None:
    """Write an empty units file (CSV or .xlsx): unit code, unit name, parent unit code."""
    from ..rules.unit_files import unit_template_header
    from ..services.units import write_template

    write_template(output, _("Units"), unit_template_header(current_language()))
    click.echo(_("Wrote {path}: one unit per row; a top unit has no parent.").format(path=output))


@units.command("import")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.pass_obj
def units_import(obj: Context, path: Path) -> None:
    """Import the units file (CSV or Excel); it replaces the one imported before. The rules take the tree from it
    with cadres.unit.tree.source: file. Any bad row: nothing is imported."""
    from ..services.units import ImportError_, import_units_file, read_units_file

    try:
        count = import_units_file(obj.store(), read_units_file(path), path.name)
    except ImportError_ as exc:
        raise nothing_imported(exc.problems) from None
    click.echo(_("{count} units imported.").format(count=count))


@units.command("transfers-template")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default="transfers.csv")
def transfers_template(output: Path) -> None:
    """Write an empty transfers file (CSV or .xlsx): cadre id, unit code, from (the day they belong to it)."""
    from ..rules.unit_files import transfer_template_header
    from ..services.units import write_template

    write_template(output, _("Transfers"), transfer_template_header(current_language()))
    click.echo(_("Wrote {path}: one move per row, the day as YYYY-MM-DD.").format(path=output))


@units.command("transfers")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.pass_obj
def transfers_import(obj: Context, path: Path) -> None:
    """Import cadres' moves between units (CSV or Excel): each cadre the file names gets their moves from it. An
    evaluation as of a day counts each cadre in their unit on that day. Any bad row: nothing is imported."""
    from ..services.units import ImportError_, import_transfers, read_transfers

    try:
        count = import_transfers(obj.store(), read_transfers(path), cadres_spec(obj), path.name)
    except ImportError_ as exc:
        raise nothing_imported(exc.problems) from None
    click.echo(_("Moves of {count} cadres imported.").format(count=count))


@units.command("clear-transfers")
@click.argument("cadre_ids", nargs=-1, required=True)
@click.pass_obj
def transfers_clear(obj: Context, cadre_ids: tuple[str, ...]) -> None:
    """Forget the transfers file's moves of these cadres: their unit is Moodle's again, as evaluations saw it
    (a mistaken import undone)."""
    from ..services.units import clear_transfers

    count = clear_transfers(obj.store(), list(cadre_ids))
    click.echo(_("{count} moves forgotten.").format(count=count))

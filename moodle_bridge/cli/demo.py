"""`moodle-bridge demo`: the whole job end to end against a simulated county, in one command.

The demo prepares a simulated site (``services.demo``) and runs the pipeline's own steps against it.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from ..i18n import _
from .context import Context
from .root import main


@main.command()
@click.option("--size", type=click.Choice(["small", "county"]), default="small",
              help="small: 300 cadres, 24 courses; county: 5,600 cadres, 110 courses.")
@click.option("--output", "folder", type=click.Path(path_type=Path, file_okay=False), default="demo-output")
@click.pass_obj
def demo(obj: Context, size: str, folder: Path) -> None:
    """Run everything against a simulated county Moodle on 127.0.0.1 and write the results."""
    from ..reports.plain import status_label
    from ..services.demo import run_demo
    from ..sync.progress import for_terminal
    from .sync_render import render_summary

    console = Console()
    done = run_demo(size, folder, say=console.print, progress=for_terminal(),
                    show_sync=lambda summary: render_summary(summary, console))
    console.print()
    console.print(_("Done. Cadres by status: {statuses}; {flags} flags.").format(
        statuses=", ".join(f"{status_label(k)} {n}" for k, n in sorted(done.statuses.items())), flags=done.flags))
    console.print(_("Open these files:"))
    for path in done.written:
        console.print(f"  {path}")
    console.print(_("The store is {store}; try: moodle-bridge --config {config} flags").format(
        store=done.store, config=done.config_file))

"""`moodle-bridge demo`: the whole job end to end against a simulated county, in one command.

The demo prepares a simulated county (``services.demo``) and runs the pipeline's own steps against it; with
``--serve`` it then opens the review page on the results.
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
              help="small: 300 cadres, 24 courses (seconds); county: 5,600 cadres, 110 courses (a minute or two).")
@click.option("--output", "folder", type=click.Path(path_type=Path, file_okay=False), default="demo-output")
@click.option("--serve", is_flag=True, help="Then serve the review page on the demo's results until Ctrl-C.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
              help="The review page's port, with --serve.")
@click.pass_obj
def demo(obj: Context, size: str, folder: Path, serve: bool, port: int) -> None:
    """Run everything against a simulated county Moodle on 127.0.0.1 and write the results."""
    from ..reports.plain import FLAG_KINDS, flag_label, status_label
    from ..rules import STATUSES
    from ..services.demo import review_page, run_demo
    from ..sync.progress import for_terminal
    from .sync_render import render_summary
    from .web import run_page

    console = Console()
    done = run_demo(size, folder, say=console.print, progress=for_terminal(),
                    show_sync=lambda summary: render_summary(summary, console))
    console.print()
    console.print(_("Done. Cadres by status: {statuses}.").format(
        statuses=_(", ").join(f"{status_label(s)} {done.statuses[s]}" for s in STATUSES if s in done.statuses)))
    kinds = [k for k in FLAG_KINDS if k in done.flag_kinds] + sorted(set(done.flag_kinds) - set(FLAG_KINDS))
    console.print(_("{flags} flags: {kinds}.").format(flags=done.flags, kinds=_(", ").join(
        f"{flag_label(k)} {done.flag_kinds[k]}" for k in kinds)))
    console.print(_("Open these files:"))
    for path in done.written:
        console.print(f"  {path}")
    console.print(_("The store is {store}; try: moodle-bridge --config {config} flags").format(
        store=done.store, config=done.config_file))
    if not serve:
        console.print(_("To look at the results on the review page: moodle-bridge demo --serve"))
        return
    page = review_page(done.store, obj.lang)
    console.print()
    console.print(_("Sign in as {username} with the password {password} (made for this run).").format(
        username=page.username, password=page.password))
    run_page(page.app, "127.0.0.1", port)

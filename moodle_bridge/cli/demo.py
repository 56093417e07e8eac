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
    from ..services import pipeline
    from ..services.demo import DemoSite, first_flagged, write_dry_run
    from ..services.offline import import_offline, parse_offline
    from ..services.report_files import write_report
    from ..store import connect, upgrade
    from ..sync.progress import for_terminal
    from .sync_render import render_summary

    console = Console()
    console.print(_("Generating a simulated {size} training site...").format(size=size))
    prepared = DemoSite.prepare(size, folder)
    with prepared.serve() as settings:
        engine = connect(settings.store.url)
        upgrade(engine)
        console.print(_("Step 1/4: sync from the simulated Moodle at {url}").format(url=settings.moodle.url))
        summary = pipeline.sync_mirror(settings, engine, progress=for_terminal(), full=True)
        render_summary(summary, console)
    console.print(_("Step 2/4: import offline training ({rows} rows)").format(rows=prepared.offline_rows))
    import_offline(engine, parse_offline(prepared.offline_file), prepared.offline_file.name)
    console.print(_("Step 3/4: evaluate 2026 as of {day} with demo rules (40 hours, 20 online: see {path})").format(
        day=prepared.today, path=prepared.rules_file))
    result = pipeline.evaluate_rules(settings, engine, prepared.today)
    console.print(_("Step 4/4: reports, and a dry run of the actions back to Moodle"))
    written = pipeline.write_reports(engine, folder)
    example = first_flagged(engine)
    if example:
        written.append(write_report(engine, "cadre", "html", folder / f"cadre-{example}.html", cadre_id=example))
    written.append(write_dry_run(engine, folder / "actions-dry-run.json"))
    engine.dispose()
    console.print()
    console.print(_("Done. Cadres by status: {statuses}; {flags} flags.").format(
        statuses=", ".join(f"{status_label(k)} {n}" for k, n in sorted(result.statuses.items())), flags=result.flags))
    console.print(_("Open these files:"))
    for path in written:
        console.print(f"  {path}")
    console.print(_("The store is {store}; try: moodle-bridge --config {config} flags").format(
        store=folder / "store.db", config=prepared.config_file))

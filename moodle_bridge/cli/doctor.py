"""`moodle-bridge doctor`: is Moodle, the token and the store ready? Exit 0 ready, 1 not ready."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click

from ..config import Settings
from .context import EXIT_NOT_READY, EXIT_READY, Context
from .root import main


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--against-fixtures", is_flag=True,
              help="Check against a stand-in Moodle that replays the recorded answers of a real "
                   "Moodle 5.1 (no site needed; a temporary store).")
@click.pass_obj
def doctor(obj: Context, as_json: bool, against_fixtures: bool) -> None:
    """Check that Moodle, the token and the store are ready. Exit 0 ready, 1 not ready."""
    from ..doctor import run_doctor
    from ..moodle import MoodleClient
    from ..store import connect, upgrade
    from .doctor_render import render_report

    if against_fixtures:
        from ..simulator.replay import ReplayMoodle

        token = "replay-" + Path(tempfile.mkdtemp()).name
        with ReplayMoodle(token) as moodle, tempfile.TemporaryDirectory() as tmp:
            settings = Settings.model_validate({"moodle": {"url": moodle.url, "completions_report_id": 2},
                                                "store": {"url": f"sqlite:///{tmp}/store.db"}})
            obj.apply(settings)
            engine = connect(settings.store.url)
            upgrade(engine)
            with MoodleClient(moodle.url, token) as client:
                report = run_doctor(settings, client, engine)
            engine.dispose()
    else:
        settings = obj.settings()
        with obj.client() as client:
            report = run_doctor(settings, client, connect(settings.store.url))
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        render_report(report)
    sys.exit(EXIT_READY if report.ready else EXIT_NOT_READY)

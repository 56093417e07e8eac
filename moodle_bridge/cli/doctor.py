"""`moodle-bridge doctor`: is Moodle, the token and the store ready? Exit 0 ready, 1 not ready."""

from __future__ import annotations

import json

import click

from .context import EXIT_NOT_READY, Context
from .root import main


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--against-fixtures", is_flag=True,
              help="Check against a stand-in Moodle that replays the recorded answers of a real "
                   "Moodle 5.1 (no site needed; a temporary store).")
@click.pass_obj
def doctor(obj: Context, as_json: bool, against_fixtures: bool) -> None:
    """Check that Moodle, the token and the store are ready. Exit 0 ready, 1 not ready."""
    from ..services.checks import check, check_against_fixtures
    from .doctor_render import render_report

    if against_fixtures:
        report = check_against_fixtures(obj.apply)
    else:
        settings = obj.settings()
        with obj.client() as client:
            report = check(settings, client)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        render_report(report)
    if not report.ready:  # a verdict, not an error: the report above says why (no second line)
        raise click.exceptions.Exit(EXIT_NOT_READY)

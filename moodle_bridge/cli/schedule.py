"""`moodle-bridge scheduler`, `pipeline` and `runs` (registered on the main group)."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable
from types import FrameType

import click
import structlog
from rich.console import Console
from rich.table import Table

from ..i18n import _
from .context import CommandError, Context
from .root import main

log = structlog.get_logger("moodle_bridge.scheduler")


def _stop_on_signals(stop: threading.Event, also: Callable[[], None] | None = None) -> None:
    """SIGTERM and SIGINT ask for a graceful stop: the current step finishes or stops cleanly."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.warning("scheduler.stopping", signal=signal.Signals(signum).name)
        stop.set()
        if also:
            also()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


@main.command()
@click.pass_obj
def pipeline(obj: Context) -> None:
    """Run the pipeline once now: sync, evaluate, reports (and actions, if configured)."""
    from ..services.pipeline import run_pipeline

    settings = obj.settings()
    engine = obj.store()
    stop = threading.Event()
    _stop_on_signals(stop)
    result = run_pipeline(settings, engine, "manual", stop)
    line = _("Pipeline run: {status}").format(status=result["status"])
    if result["status"] != "succeeded":
        raise CommandError(line)
    click.echo(line)


@main.command()
@click.pass_obj
def scheduler(obj: Context) -> None:
    """Run the pipeline on the configured schedule until stopped (SIGTERM or Ctrl-C)."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    from ..services.pipeline import run_pipeline

    settings = obj.settings()
    engine = obj.store()
    zone = settings.sync.organisation_timezone
    # coalesce: runs missed while down collapse into one; max_instances=1: never two at once here
    # (the store lock keeps other processes out); misfire_grace_time: run a missed run if within 1 h.
    runner = BlockingScheduler(timezone=zone, job_defaults={"coalesce": True, "max_instances": 1,
                                                            "misfire_grace_time": 3600})
    stop = threading.Event()
    runner.add_job(run_pipeline, CronTrigger.from_crontab(settings.schedule.pipeline, timezone=zone),
                   args=[settings, engine, "schedule", stop], id="pipeline", name="sync, evaluate, reports")
    _stop_on_signals(stop, also=lambda: runner.shutdown(wait=False))
    log.info("scheduler.started", schedule=settings.schedule.pipeline, timezone=zone)
    click.echo(_("Scheduler running ({cron}, {zone}); stop with Ctrl-C or SIGTERM.").format(
        cron=settings.schedule.pipeline, zone=zone))
    runner.start()  # returns after shutdown; a running pipeline finishes or stops at its next boundary


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--last", default=20, show_default=True)
@click.pass_obj
def runs(obj: Context, as_json: bool, last: int) -> None:
    """Past pipeline runs: each step, its duration, counts and errors."""
    from ..store.status import pipeline_run_rows

    rows = pipeline_run_rows(obj.store(), last)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    table = Table(title=_("Pipeline runs"))
    for header in (_("No."), _("Trigger"), _("Started"), _("Status"), _("Steps"), _("Error")):
        table.add_column(header, overflow="fold")
    for r in rows:
        steps = ", ".join(f"{s['step']} {s['status']}" for s in r["steps"])
        table.add_row(str(r["id"]), r["trigger"], f"{r['started_at']:%Y-%m-%d %H:%M}", r["status"], steps,
                      r["error"] or "")
    Console().print(table)

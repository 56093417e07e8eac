"""`moodle-bridge scheduler`, `pipeline` and `runs` (registered on the main group)."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from zoneinfo import ZoneInfo

import click
import structlog
from rich.console import Console
from rich.table import Table

from ..i18n import N_, _, local_time
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
    line = _("Pipeline run: {status}").format(status=_label(RUN_STATES, result["status"]))
    if result["status"] != "succeeded":
        raise CommandError(f"{line}: {result['error']}" if result.get("error") else line)
    click.echo(line)


@main.command()
@click.pass_obj
def scheduler(obj: Context) -> None:
    """Run the pipeline on the configured schedule until stopped (SIGTERM or Ctrl-C)."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
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
    trigger = CronTrigger.from_crontab(settings.schedule.pipeline, timezone=zone)
    runner.add_job(run_pipeline, trigger, args=[settings, engine, "schedule", stop], id="pipeline",
                   name="sync, evaluate, reports")
    _stop_on_signals(stop, also=lambda: runner.shutdown(wait=False))
    first = trigger.get_next_fire_time(None, datetime.now(ZoneInfo(zone)))
    log.info("scheduler.started", schedule=settings.schedule.pipeline, timezone=zone, next_run=str(first))
    click.echo(_("Scheduler running ({cron}, {zone}); next run {when}; stop with Ctrl-C or SIGTERM.").format(
        cron=settings.schedule.pipeline, zone=zone, when=local_time(first)))

    def say_next(_event: object) -> None:
        job = runner.get_job("pipeline")
        if job is not None and job.next_run_time is not None:
            click.echo(_("Next run {when}.").format(when=local_time(job.next_run_time)))

    runner.add_listener(say_next, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
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
    if not rows:
        click.echo(_("No pipeline runs yet: `moodle-bridge pipeline` runs one now, `moodle-bridge scheduler` on "
                     "the schedule."))
        return
    table = Table(title=_("Pipeline runs"))
    for header in (_("No."), _("Trigger"), _("Started"), _("Status"), _("Steps"), _("Error")):
        table.add_column(header, overflow="fold")
    for r in rows:
        steps = ", ".join(f"{_label(STEPS, s['step'])} {_label(RUN_STATES, s['status'])}" for s in r["steps"])
        table.add_row(str(r["id"]), _label(TRIGGERS, r["trigger"]), local_time(r["started_at"]),
                      _label(RUN_STATES, r["status"]), steps, r["error"] or "")
    Console().print(table)


# What a run's codes say to an administrator (``runs --json`` keeps the codes).
RUN_STATES = {"running": N_("running"), "succeeded": N_("succeeded"), "failed": N_("failed"),
              "interrupted": N_("interrupted"), "skipped": N_("skipped")}
TRIGGERS = {"manual": N_("by hand"), "schedule": N_("on schedule")}
STEPS = {"sync": N_("sync"), "evaluate": N_("evaluation"), "reports": N_("reports"), "actions": N_("actions")}


def _label(labels: dict[str, str], code: str) -> str:
    return _(labels[code]) if code in labels else code

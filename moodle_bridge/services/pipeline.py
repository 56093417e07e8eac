"""The nightly pipeline: sync, evaluate, reports, and optionally the actions; never two at once.

A store lock keeps a second pipeline (another process, another host) out. A stop request
(SIGTERM/SIGINT) is honoured between sync partitions and between steps: what is committed is
whole, the sync run stays resumable, and the pipeline run is recorded as interrupted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, insert, select, update

from ..config import Settings
from ..moodle import MoodleClient
from ..store.lock import Locked, StoreLock
from ..store.schema import pipeline_runs, sync_runs
from .wiring import make_client

if TYPE_CHECKING:
    from ..sync import RunSummary
    from ..sync.progress import Progress
    from .evaluation import EvaluationSummary

Counts = dict[str, Any]


def _save(engine: Engine, run_id: int, **values: Any) -> None:
    with engine.begin() as connection:
        connection.execute(update(pipeline_runs).where(pipeline_runs.c.id == run_id).values(**values))


def run_pipeline(settings: Settings, engine: Engine, trigger: str = "manual",
                 stop: threading.Event | None = None) -> dict[str, Any]:
    from ..sync import StopRequested

    stop = stop or threading.Event()
    now = datetime.now(UTC)
    lock = StoreLock(engine)
    try:
        lock.acquire()
    except Locked as exc:
        with engine.begin() as connection:
            connection.execute(insert(pipeline_runs).values(trigger=trigger, started_at=now, finished_at=now,
                                                            status="skipped", steps=[], error=str(exc)))
        return {"status": "skipped", "error": str(exc)}
    steps: list[dict[str, Any]] = []
    status: str = "succeeded"
    error: str | None = None
    run_id: int | None = None
    try:
        with engine.begin() as connection:
            run_id = connection.execute(insert(pipeline_runs).values(
                trigger=trigger, started_at=now, status="running", steps=[]).returning(pipeline_runs.c.id)).scalar_one()
        minutes = settings.schedule.step_deadline_minutes
        for name, step in _steps(settings, engine, stop):
            if stop.is_set():
                status = "interrupted"
                break
            record: dict[str, Any] = {"step": name, "started": datetime.now(UTC).isoformat()}
            with _deadline(minutes * 60) as late:
                try:
                    record["counts"] = step(lambda: stop.is_set() or late.is_set())
                    record["status"] = "succeeded"
                except StopRequested:
                    if late.is_set():
                        record["status"], record["error"] = "failed", _past_deadline(minutes)
                        status, error = "failed", f"{name}: {record['error']}"
                    else:
                        record["status"], status = "interrupted", "interrupted"
                except Exception as exc:
                    record["status"], record["error"] = "failed", f"{type(exc).__name__}: {exc}"
                    status, error = "failed", f"{name}: {record['error']}"
                if late.is_set() and record["status"] == "succeeded":  # a local step: done, but said
                    record["late"] = _past_deadline(minutes)
                    _late_alert(settings, run_id, name, minutes)
            record["finished"] = datetime.now(UTC).isoformat()
            steps.append(record)
            _save(engine, run_id, steps=steps)
            if status != "succeeded":
                break
    finally:
        try:
            if run_id is not None:
                _save(engine, run_id, status=status, error=error, finished_at=datetime.now(UTC),
                      steps=steps)
        finally:
            lock.release()  # whatever happened above
    _alerts(settings, engine, run_id, status, error)
    return {"id": run_id, "status": status, "steps": steps, "error": error}


# --- the steps: the scheduler's pipeline and the demo run these same functions -------------------------------------


def sync_mirror(settings: Settings, engine: Engine, *, should_stop: Callable[[], bool] = lambda: False,
                progress: Progress | None = None, full: bool = False) -> RunSummary:
    """One sync run (resumes an interrupted one); the summary says whether it succeeded. ``should_stop`` is asked
    between partitions (a stop request, or the step's deadline)."""
    from ..sync import Sync, SyncOptions

    with make_client(settings) as client:
        return Sync(settings, client, engine, progress=progress, should_stop=should_stop).run(SyncOptions(full=full))


def evaluate_rules(settings: Settings, engine: Engine, today: date | None = None) -> EvaluationSummary:
    """Post credits and evaluate every cadre, as of ``today`` (default: today in the organisation's zone), in its
    period."""
    from .evaluation import as_of_and_period
    from .evaluation import evaluate as run
    from .rules_file import load_rules_to_evaluate

    loaded = load_rules_to_evaluate(settings)
    day, label = as_of_and_period(loaded.rules, as_of=today)
    return run(engine, loaded, label, day)


REPORTS = [(kind, fmt) for kind in ("units", "flagged") for fmt in ("html", "csv", "xlsx")]


def write_reports(engine: Engine, folder: Path, stamp: str | None = None) -> list[Path]:
    """The unit table and the flagged list, each as HTML, CSV and Excel, in ``folder`` (names carry ``stamp``)."""
    from .report_files import write_report

    folder.mkdir(parents=True, exist_ok=True)
    suffix = f"-{stamp}" if stamp else ""
    return [write_report(engine, kind, fmt, folder / f"{kind}{suffix}.{fmt}") for kind, fmt in REPORTS]


def act(engine: Engine, client: MoodleClient | None, *, enrol_required: bool, notify_flagged: bool,
        dry_run: bool) -> dict[str, list[Any]]:
    """Enrol cadres in the required courses they lack and message the flagged; a dry run only plans."""
    from ..actions import enrol, notify

    done: dict[str, list[Any]] = {}
    if enrol_required:
        done["enrol"] = enrol.apply(engine, client, enrol.plan(engine), dry_run=dry_run)
    if notify_flagged:
        planned = notify.plan(engine, notify.DEFAULT_INTERVAL_DAYS)
        done["notify"] = notify.apply(engine, client, planned, dry_run=dry_run)
    return done


@contextmanager
def _deadline(seconds: float) -> Iterator[threading.Event]:
    """An event set once ``seconds`` have passed, for the length of the block."""
    late = threading.Event()
    timer = threading.Timer(seconds, late.set)
    timer.daemon = True
    timer.start()
    try:
        yield late
    finally:
        timer.cancel()


def _past_deadline(minutes: float) -> str:
    return (f"ran past its deadline of {minutes:g} minutes (schedule.step_deadline_minutes); the sync resumes "
            f"where it stopped at the next run")


def _late_alert(settings: Settings, run_id: int | None, step: str, minutes: float) -> None:
    from .alerts import alert

    alert(settings, f"moodle_bridge: run {run_id}: the {step} step was slow",
          f"it took longer than {minutes:g} minutes (schedule.step_deadline_minutes)")


ShouldStop = Callable[[], bool]


def _steps(settings: Settings, engine: Engine,
           stop: threading.Event) -> Iterator[tuple[str, Callable[[ShouldStop], Counts]]]:
    def sync(should_stop: ShouldStop) -> Counts:
        summary = sync_mirror(settings, engine, should_stop=should_stop)
        if not summary.ok:
            raise RuntimeError("; ".join(summary.errors))
        return {"requests": summary.requests, **{k: dict(v) for k, v in summary.counts.items()}}

    def evaluate(_should_stop: ShouldStop) -> Counts:  # local, chunked work: it finishes
        result = evaluate_rules(settings, engine)
        return {"evaluation": result.evaluation_id, "flags": result.flags, "posted": result.posted, **result.statuses}

    def reports(_should_stop: ShouldStop) -> Counts:
        return {"files": len(write_reports(engine, settings.schedule.reports_folder, date.today().isoformat()))}

    def actions(_should_stop: ShouldStop) -> Counts:
        with make_client(settings) as client:
            done = act(engine, client, enrol_required=settings.features.enrol,
                       notify_flagged=settings.features.notify, dry_run=False)
        return {name: len(outcomes) for name, outcomes in done.items()}

    def remind(should_stop: ShouldStop) -> Counts:  # the reminders due today, each once (rules: reminders)
        from ..sync import StopRequested
        from .reminders import remind as send

        with make_client(settings) as client:  # each batch recorded before the next; a stop between batches
            planned, outcomes = send(settings, engine, client, dry_run=False, should_stop=should_stop)
        if len(outcomes) < sum(len(m.reminders) for m in planned.messages):
            raise StopRequested  # the rest go at the next run (within the catch-up days)
        return {"messages": len(planned.messages), "reminders": len(outcomes),
                "failed": sum(1 for o in outcomes if o["status"] == "failed")}

    def calendar(_should_stop: ShouldStop) -> Counts:  # due dates in the courses' calendars (features.calendar)
        from ..actions import calendar as events

        with make_client(settings) as client:
            outcomes = events.apply(engine, client, events.steps(engine), dry_run=False)
        return {"calendar": len(outcomes), "failed": sum(o["status"] == "failed" for o in outcomes)}

    yield "sync", sync
    yield "evaluate", evaluate
    yield "reports", reports
    if settings.schedule.actions:
        yield "actions", actions
    if settings.schedule.actions and settings.features.reminders:
        yield "remind", remind
    if settings.schedule.actions and settings.features.calendar:
        yield "calendar", calendar


def _alerts(settings: Settings, engine: Engine, run_id: int | None, status: str, error: str | None) -> None:
    from .alerts import alert

    if status == "failed":
        alert(settings, f"moodle_bridge: run {run_id} failed", error or "")
    with engine.connect() as connection:
        last_ok = connection.execute(select(sync_runs.c.finished_at).where(sync_runs.c.status == "succeeded")
                                     .order_by(sync_runs.c.id.desc())).scalar()
    limit = timedelta(hours=settings.alerts.mirror_max_age_hours)
    if last_ok is None or datetime.now(UTC) - last_ok.replace(tzinfo=last_ok.tzinfo or UTC) > limit:
        alert(settings, "moodle_bridge: the mirror is old",
              f"last successful sync: {last_ok or 'never'} (more than {settings.alerts.mirror_max_age_hours:g} h ago)")

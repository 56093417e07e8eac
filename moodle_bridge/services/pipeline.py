"""The nightly pipeline: sync, evaluate, reports, and optionally the actions; never two at once.

A store lock keeps a second pipeline (another process, another host) out. A stop request
(SIGTERM/SIGINT) is honoured between sync partitions and between steps: what is committed is
whole, the sync run stays resumable, and the pipeline run is recorded as interrupted.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select, update

from ..config import Settings
from ..store.lock import Locked, StoreLock
from ..store.schema import pipeline_runs, sync_runs


def _save(engine: Engine, run_id: int, **values) -> None:
    with engine.begin() as connection:
        connection.execute(update(pipeline_runs).where(pipeline_runs.c.id == run_id).values(**values))


def run_pipeline(settings: Settings, engine: Engine, trigger: str = "manual",
                 stop: threading.Event | None = None) -> dict:
    from ..sync.engine import StopRequested

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
    steps: list[dict] = []
    status, error, run_id = "succeeded", None, None
    try:
        with engine.begin() as connection:
            run_id = connection.execute(insert(pipeline_runs).values(
                trigger=trigger, started_at=now, status="running", steps=[])).inserted_primary_key[0]
        for name, step in _steps(settings, engine, stop):
            if stop.is_set():
                status = "interrupted"
                break
            record = {"step": name, "started": datetime.now(UTC).isoformat()}
            try:
                record["counts"] = step()
                record["status"] = "succeeded"
            except StopRequested:
                record["status"], status = "interrupted", "interrupted"
            except Exception as exc:
                record["status"], record["error"] = "failed", f"{type(exc).__name__}: {exc}"
                status, error = "failed", f"{name}: {record['error']}"
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


def _steps(settings: Settings, engine: Engine, stop: threading.Event):
    def sync():
        from ..sync import Sync
        from .wiring import make_client

        with make_client(settings) as client:
            summary = Sync(settings, client, engine, should_stop=stop.is_set).run()
        if not summary.ok:
            raise RuntimeError("; ".join(summary.errors))
        return {"requests": summary.requests, **{k: dict(v) for k, v in summary.counts.items()}}

    def evaluate():
        from ..rules.loader import load_rules
        from ..rules.periods import period_of
        from ..rules.run import evaluate as run

        loaded = load_rules(settings.rules.file)
        today = datetime.now(ZoneInfo(loaded.rules.organisation.timezone)).date()
        label = period_of(int(datetime.now(UTC).timestamp()), loaded.rules.organisation).label
        result = run(engine, loaded, label, today)
        return {"evaluation": result.evaluation_id, "flags": result.flags, "posted": result.posted, **result.statuses}

    def reports():
        from .report_files import write_report

        folder = settings.schedule.reports_folder
        folder.mkdir(parents=True, exist_ok=True)
        written = [str(write_report(engine, kind, fmt, folder / f"{kind}-{date.today()}.{fmt}"))
                   for kind in ("units", "flagged") for fmt in ("html", "csv", "xlsx")]
        return {"files": len(written)}

    def actions():
        from ..actions import enrol, notify
        from .wiring import make_client

        with make_client(settings) as client:
            done = {}
            if settings.features.enrol:
                done["enrol"] = len(enrol.apply(engine, client, enrol.plan(engine), dry_run=False))
            if settings.features.notify:
                done["notify"] = len(notify.apply(engine, client, notify.plan(engine, 7), dry_run=False))
        return done

    yield "sync", sync
    yield "evaluate", evaluate
    yield "reports", reports
    if settings.schedule.actions:
        yield "actions", actions


def _alerts(settings: Settings, engine: Engine, run_id: int, status: str, error: str | None) -> None:
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

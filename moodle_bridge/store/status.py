"""What the mirror holds (present and gone rows per table) and the last sync run: `moodle-bridge status`; the
pipeline's past runs: `moodle-bridge runs`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from .schema import MIRROR_TABLES, pipeline_runs, sync_runs


def mirror_status(engine: Engine) -> dict[str, Any]:
    """``{"counts": {table: {"present": n, "gone": n}}, "last_run": the latest sync_runs row or None}``."""
    with engine.connect() as connection:
        counts = {}
        for name, table in MIRROR_TABLES.items():
            rows = select(func.count()).select_from(table)
            present = connection.execute(rows.where(table.c.gone_at.is_(None))).scalar_one()
            gone = connection.execute(rows.where(table.c.gone_at.is_not(None))).scalar_one()
            counts[name] = {"present": present, "gone": gone}
        last = connection.execute(select(sync_runs).order_by(sync_runs.c.id.desc()).limit(1)).first()
    return {"counts": counts, "last_run": None if last is None else dict(last._mapping)}


def pipeline_run_rows(engine: Engine, last: int) -> list[dict[str, Any]]:
    """The latest ``last`` pipeline_runs rows, newest first (each step with its status, counts and error)."""
    with engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(
            select(pipeline_runs).order_by(pipeline_runs.c.id.desc()).limit(last))]

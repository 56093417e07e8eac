"""What the mirror holds (present and gone rows per table) and the last sync run: `moodle-bridge status`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from .schema import MIRROR_TABLES, sync_runs


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

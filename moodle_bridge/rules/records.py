"""Storing imported offline training rows (idempotent: a row already stored is not stored again)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select

from ..store.schema import offline_records
from .imports import OfflineRow


def store_offline(engine: Engine, rows: list[OfflineRow], source_name: str) -> tuple[int, int]:
    """(rows stored now, rows already stored before)."""
    with engine.begin() as connection:
        known = {r.row_key for r in connection.execute(select(offline_records.c.row_key))}
        fresh = [r for r in rows if r.key not in known]
        if fresh:
            now = datetime.now(UTC)
            connection.execute(insert(offline_records), [
                {"row_key": r.key, "cadre_id": r.cadre_id, "training": r.training, "organiser": r.organiser,
                 "start": r.start, "end": r.end, "days": r.days, "hours": r.hours, "leave_hours": r.leave_hours,
                 "kind": r.kind, "reference": r.reference, "source_file": source_name, "line": r.line,
                 "imported_at": now} for r in fresh])
    return len(fresh), len(rows) - len(fresh)

"""The units' targets of a period (``schema.unit_targets``, migration 0016): written by an import, which replaces the
period's, and read by the year-end assessment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, select

from .bulk import insert_rows
from .schema import unit_targets


@dataclass(frozen=True)
class StoredTargets:
    """A unit's targets as kept (shares as shares; None: not set)."""

    unit_code: str
    completion_rate: float | None
    hours_per_cadre: float | None
    required_courses: float | None
    organised_trainings: int | None
    imported_at: datetime
    source_file: str
    line: int


def replace_targets(connection: Connection, period: str, rows: Sequence[StoredTargets]) -> tuple[int, int]:
    """The period's targets are these rows from now on: (rows written, rows they replaced)."""
    replaced = connection.execute(delete(unit_targets).where(unit_targets.c.period == period)).rowcount or 0
    if rows:
        insert_rows(connection, unit_targets, [
            {"period": period, "unit_code": r.unit_code, "completion_rate": r.completion_rate,
             "hours_per_cadre": r.hours_per_cadre, "required_courses": r.required_courses,
             "organised_trainings": r.organised_trainings, "imported_at": r.imported_at,
             "source_file": r.source_file, "line": r.line} for r in rows])
    return len(rows), replaced


def period_targets(connection: Connection, period: str) -> list[StoredTargets]:
    """The period's targets, by unit code."""
    t = unit_targets.c
    return [StoredTargets(r.unit_code, r.completion_rate, r.hours_per_cadre, r.required_courses,
                          r.organised_trainings, r.imported_at, r.source_file, r.line)
            for r in connection.execute(select(unit_targets).where(t.period == period).order_by(t.unit_code))]

"""Which evaluation: the latest (of a period), the ones before it; and how fresh the mirror under them is."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from ..store.schema import evaluations, sync_runs
from .answers import Evaluation, NoEvaluation


def evaluation(connection: Connection, period: str | None = None, offset: int = 0) -> Evaluation | None:
    """The latest evaluation (of a period), or the one `offset` before it; None if there is none."""
    query = select(evaluations).order_by(evaluations.c.id.desc())
    if period:
        query = query.where(evaluations.c.period == period)
    row = connection.execute(query.offset(offset).limit(1)).first()
    return None if row is None else Evaluation.from_row(row)


def latest(connection: Connection, period: str | None = None) -> Evaluation:
    """The latest evaluation (of a period). Raises NoEvaluation."""
    found = evaluation(connection, period)
    if found is None:
        raise NoEvaluation(period)
    return found


def latest_evaluations(connection: Connection, count: int = 2) -> list[Evaluation]:
    """The latest `count` evaluations, newest first, whatever their period."""
    return [Evaluation.from_row(r) for r in connection.execute(
        select(evaluations).order_by(evaluations.c.id.desc()).limit(count))]


def last_sync(connection: Connection) -> datetime | None:
    """When the last successful sync finished: how fresh the mirror the results come from is."""
    finished: datetime | None = connection.execute(
        select(sync_runs.c.finished_at).where(sync_runs.c.status == "succeeded").order_by(sync_runs.c.id.desc())
    ).scalar()
    return finished

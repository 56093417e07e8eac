"""Which evaluation: the latest (of a period), the ones before it, the rate through a period; and how fresh the
mirror under them is."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from ..rules import completion_rate
from ..store.held import held_in
from ..store.schema import evaluation_results, evaluations, sync_runs
from .answers import Evaluation, NoEvaluation, TrendPoint
from .scope import Scope, scoped
from .tallies import kept_tallies, tallied


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


def trend(connection: Connection, upto: Evaluation, units: Scope = None) -> list[TrendPoint]:
    """The completion rate through `upto`'s period, up to it: one point per day evaluated as of, from that day's
    latest evaluation. The county's rate from the status counts each evaluation keeps; a reviewer's units (or an
    evaluation without its counts) from the units' tallies it keeps, or else from its results."""

    days: dict[date, Any] = {}
    for row in connection.execute(select(evaluations.c.id, evaluations.c.as_of, evaluations.c.counts)
                                  .where(evaluations.c.period == upto.period, evaluations.c.id <= upto.id)
                                  .order_by(evaluations.c.id)):
        days[row.as_of] = row  # a later evaluation of the same day replaces an earlier one
    chosen = [days[day] for day in sorted(days)]
    counts: dict[int, dict[str, int]] = {r.id: r.counts for r in chosen if units is None and r.counts}
    missing = [r.id for r in chosen if r.id not in counts]
    for evaluation_id in missing:
        if tallied(connection, evaluation_id):  # a row a unit
            counted: Counter[str] = Counter()
            for tally in kept_tallies(connection, evaluation_id, units).values():
                counted.update(tally.counts)
            counts[evaluation_id] = dict(counted)
            continue
        query = scoped(select(evaluation_results.c.status, func.count().label("n"))
                       .where(held_in(evaluation_results, evaluation_id)), units)
        counts[evaluation_id] = {r.status: r.n for r in connection.execute(query.group_by(evaluation_results.c.status))}
    return [TrendPoint(r.as_of, r.id, completion_rate(counts.get(r.id, {}))) for r in chosen]

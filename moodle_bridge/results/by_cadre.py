"""Cadres: the review page's list of flagged cadres (scoped, filtered, sorted, paged), one cadre's file, reviews."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Select, desc, exists, func, select

from ..store.schema import (
    credit_entries,
    evaluation_flags,
    evaluation_results,
    evaluations,
    mirror_users,
    review_events,
)
from ._memo import remembered
from .answers import CadreFile, CadrePage, CadreQuery, CadreResult, LedgerEntry, ReviewedCadre, ReviewEvent, ReviewState
from .by_flag import cadre_flags
from .evaluations import latest
from .scope import Scope, scoped

SORTS = {"name": evaluation_results.c.name, "unit": evaluation_results.c.unit_name,
         "status": evaluation_results.c.status,
         "hours": evaluation_results.c.hours_online + evaluation_results.c.hours_offline}


def review_states(connection: Connection) -> dict[str, ReviewState]:
    """Where each reviewed cadre's review stands: its latest 'reviewed' or 'excused' (a cadre not listed is open)."""
    rows = connection.execute(select(review_events.c.cadre_id, review_events.c.kind)
                              .where(review_events.c.kind.in_(("reviewed", "excused"))).order_by(review_events.c.id))
    return {r.cadre_id: "excused" if r.kind == "excused" else "reviewed" for r in rows}


def _flagged_query(evaluation_id: int, units: Scope, ask: CadreQuery,
                   states: dict[str, ReviewState]) -> Select[Any]:
    # EXISTS on the flags' index (evaluation, cadre, kind), one probe per result: no evaluation's flags materialised.
    has_flag = exists().where(
        evaluation_flags.c.evaluation_id == evaluation_id,
        evaluation_flags.c.cadre_id == evaluation_results.c.cadre_id,
        *([evaluation_flags.c.kind == ask.kind] if ask.kind else []),
        *([evaluation_flags.c.group_name == ask.group] if ask.group else []))
    query = scoped(select(evaluation_results).where(evaluation_results.c.evaluation_id == evaluation_id, has_flag),
                   units)
    if ask.unit_code:
        query = query.where(evaluation_results.c.unit_code == ask.unit_code)
    if ask.search and ask.search.strip():
        needle = f"%{ask.search.strip()}%"
        query = query.where(evaluation_results.c.name.ilike(needle) | evaluation_results.c.cadre_id.ilike(needle))
    if ask.state == "open":
        query = query.where(evaluation_results.c.cadre_id.notin_(set(states)))
    elif ask.state in ("reviewed", "excused"):
        query = query.where(evaluation_results.c.cadre_id.in_({c for c, s in states.items() if s == ask.state}))
    return query


def _sorted(query: Select[Any], ask: CadreQuery) -> Select[Any]:
    sort = SORTS.get(ask.sort, SORTS["name"])
    return query.order_by(desc(sort) if ask.descending else sort, evaluation_results.c.cadre_id)


def flagged_cadres(connection: Connection, evaluation_id: int, units: Scope = None, ask: CadreQuery | None = None,
                   limit: int | None = None, offset: int = 0) -> list[ReviewedCadre]:
    """The flagged cadres of an evaluation (within the scope) as the review page filters and sorts them, each with
    their flags and review state; `limit` and `offset` cut a page."""
    states = review_states(connection)
    ask = ask or CadreQuery()
    query = _sorted(_flagged_query(evaluation_id, units, ask, states), ask)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    results = [CadreResult.from_row(r) for r in connection.execute(query)]
    found = cadre_flags(connection, evaluation_id, [r.cadre_id for r in results])
    return [ReviewedCadre(result=r, flags=found[r.cadre_id], review=states.get(r.cadre_id, "open"))
            for r in results]


def flagged_page(connection: Connection, evaluation_id: int, units: Scope = None, ask: CadreQuery | None = None,
                 page: int = 1, page_size: int = 50) -> CadrePage:
    """One page of `flagged_cadres`, with the total and the number of pages (at least one)."""
    page = max(1, page)
    ask = ask or CadreQuery()
    states = review_states(connection)
    count = _flagged_query(evaluation_id, units, ask, states).with_only_columns(  # no ORDER BY, no subquery
        func.count(), maintain_column_froms=True)
    # The total over 100,000 results costs 100-200 ms and changes only with the evaluation or the review states a
    # state filter reads: remembered (the page itself reads 50 rows by an index).
    made = connection.execute(select(evaluations.c.created_at).where(evaluations.c.id == evaluation_id)).scalar()
    relevant = None if ask.state is None else frozenset(states.items())
    key = ("flagged total", evaluation_id, made, None if units is None else frozenset(units),
           replace(ask, sort="name", descending=False), relevant)
    total = remembered(connection, key, lambda: connection.execute(count).scalar() or 0)
    rows = flagged_cadres(connection, evaluation_id, units, ask, limit=page_size, offset=(page - 1) * page_size)
    return CadrePage(rows=rows, total=total, page=page, pages=max(1, -(-total // page_size)))


def cadre_result(connection: Connection, evaluation_id: int, cadre_id: str, units: Scope = None
                 ) -> CadreResult | None:
    """One cadre's result in an evaluation; None when not there or not in the scope (the same answer)."""
    row = connection.execute(scoped(select(evaluation_results).where(
        evaluation_results.c.evaluation_id == evaluation_id, evaluation_results.c.cadre_id == cadre_id), units)).first()
    return None if row is None else CadreResult.from_row(row)


def cadre_file(connection: Connection, cadre_id: str, period: str | None = None, units: Scope = None) -> CadreFile:
    """One cadre's training file in the latest evaluation (of a period). Raises NoEvaluation, or KeyError when the
    cadre is not in it or not in the scope (the same answer)."""
    current = latest(connection, period)
    result = cadre_result(connection, current.id, cadre_id, units)
    if result is None:
        raise KeyError(cadre_id)
    user = connection.execute(select(mirror_users.c.profile).where(mirror_users.c.id == result.user_id)).first()
    entries = cadre_ledger(connection, cadre_id)
    return CadreFile(evaluation=current, result=result, profile=dict(user.profile or {}) if user else {},
                     entries=entries, flags=cadre_flags(connection, current.id, [cadre_id])[cadre_id],
                     period_hours=round(sum(e.hours for e in entries if e.period == current.period), 2))


def cadre_ledger(connection: Connection, cadre_id: str) -> list[LedgerEntry]:
    """Every ledger entry of a cadre (every period's), in the order posted."""
    return [LedgerEntry(**r._mapping) for r in connection.execute(
        select(credit_entries).where(credit_entries.c.cadre_id == cadre_id).order_by(credit_entries.c.id))]


def review_history(connection: Connection, cadre_id: str) -> list[ReviewEvent]:
    """A cadre's review events, newest first."""
    return [ReviewEvent(**r._mapping) for r in connection.execute(
        select(review_events).where(review_events.c.cadre_id == cadre_id).order_by(review_events.c.id.desc()))]

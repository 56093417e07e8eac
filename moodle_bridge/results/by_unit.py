"""Units: cadres by status, the completion rate (rules.completion_rate), hours per cadre; the review dashboard."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection, and_, func, select

from ..rules import STATUSES, completion_rate, counted_cadres
from ..store.schema import evaluation_flags, evaluation_results
from ._memo import remembered
from .answers import Dashboard, UnitRate, UnitRates
from .evaluations import evaluation, latest
from .scope import Scope, scoped


def unit_rates(connection: Connection, evaluation_id: int, units: Scope = None) -> dict[str, UnitRate]:
    """Per unit code (within the scope): cadres by status, completion rate and hours per cadre."""
    hours = func.sum(evaluation_results.c.hours_online + evaluation_results.c.hours_offline)
    query = scoped(select(evaluation_results.c.unit_code, evaluation_results.c.unit_name,
                           evaluation_results.c.status, func.count().label("n"), hours.label("hours"))
                    .where(evaluation_results.c.evaluation_id == evaluation_id)
                    .group_by(evaluation_results.c.unit_code, evaluation_results.c.unit_name,
                              evaluation_results.c.status), units)
    names: dict[str, str] = {}
    counts: dict[str, dict[str, int]] = {}
    total_hours: dict[str, float] = {}
    for r in connection.execute(query):
        names[r.unit_code] = r.unit_name
        unit_counts = counts.setdefault(r.unit_code, dict.fromkeys(STATUSES, 0))
        unit_counts[r.status] = unit_counts.get(r.status, 0) + r.n
        if r.status != "suspended":
            total_hours[r.unit_code] = total_hours.get(r.unit_code, 0.0) + float(r.hours or 0.0)
    rates = {}
    for code, unit_counts in counts.items():
        cadres = counted_cadres(unit_counts) + unit_counts["exempt"]
        rates[code] = UnitRate(code=code, name=names[code], **{s: unit_counts[s] for s in STATUSES}, cadres=cadres,
                               completion_rate=completion_rate(unit_counts),
                               hours_per_cadre=round(total_hours.get(code, 0.0) / cadres, 1) if cadres else 0.0)
    return rates


def units(connection: Connection, period: str | None = None, unit: str | None = None) -> UnitRates:
    """Unit rates of the latest evaluation (of a period), by name, with the change since the previous one of the
    same period; `unit` (code or name) keeps one. Raises NoEvaluation."""
    current = latest(connection, period)
    previous = evaluation(connection, current.period, offset=1)
    now = unit_rates(connection, current.id)
    before = unit_rates(connection, previous.id) if previous else {}
    answer = []
    for code, rate in sorted(now.items(), key=lambda item: item[1].name):
        if unit and unit not in (code, rate.name):
            continue
        old = before[code].completion_rate if code in before else None
        change = None if old is None or rate.completion_rate is None else round(rate.completion_rate - old, 4)
        answer.append(replace(rate, change=change))
    return UnitRates(evaluation=current, previous=previous, units=answer)


def flag_kind_counts(connection: Connection, evaluation_id: int, units: Scope = None) -> dict[str, int]:
    """How many flags of each kind an evaluation has (within the scope)."""
    counted = select(evaluation_flags.c.kind, func.count().label("n"))
    if units is None:  # every flag has its cadre's result: no join, the index (evaluation, kind) alone
        query = counted.where(evaluation_flags.c.evaluation_id == evaluation_id)
    else:  # the scope's results by the index (evaluation, unit), each one's flags by (evaluation, cadre, kind)
        query = scoped(counted.select_from(evaluation_results).join(evaluation_flags, and_(
            evaluation_flags.c.evaluation_id == evaluation_results.c.evaluation_id,
            evaluation_flags.c.cadre_id == evaluation_results.c.cadre_id))
            .where(evaluation_results.c.evaluation_id == evaluation_id), units)
    return {r.kind: r.n for r in connection.execute(query.group_by(evaluation_flags.c.kind))}


def dashboard(connection: Connection, units: Scope = None) -> Dashboard | None:
    """The latest evaluation's unit rates (by name) and flags by kind, within the scope; None before any."""
    current = evaluation(connection)
    if current is None:
        return None
    found = current

    def compute() -> Dashboard:  # 100,000 results and their flags aggregated: once per evaluation and scope
        rates = sorted(unit_rates(connection, found.id, units).values(), key=lambda u: u.name)
        return Dashboard(evaluation=found, units=rates, flag_kinds=flag_kind_counts(connection, found.id, units))

    key = ("dashboard", current.id, current.created_at, None if units is None else frozenset(units))
    return remembered(connection, key, compute)


def unit_names(connection: Connection, evaluation_id: int, units: Scope = None) -> list[tuple[str, str]]:
    """(code, name) of the units in an evaluation (within the scope), by name."""
    query = scoped(select(evaluation_results.c.unit_code, evaluation_results.c.unit_name)
                    .where(evaluation_results.c.evaluation_id == evaluation_id).distinct(), units)
    return [(r.unit_code, r.unit_name) for r in connection.execute(query.order_by(evaluation_results.c.unit_name))]

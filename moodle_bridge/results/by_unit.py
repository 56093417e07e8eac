"""Units: cadres by status, the completion rate (rules.completion_rate), hours and flags per cadre, the ranking and
the total row; the review dashboard.

A unit's row and the total row are made by one function (`_row`) from the same tallies, so the total is the sum of
what the rows count, never an average of rounded figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from ..rules import STATUSES, completion_rate, counted_cadres
from ..rules.rates import rate_change
from ..rules.units import UnitTree
from ..store.held import held_in, same_version
from ..store.schema import evaluation_flags, evaluation_results
from ..store.unit_tallies import UnitTally, millionths
from ._memo import evaluation_key, remembered
from .answers import Dashboard, Evaluation, UnitRate, UnitRates
from .evaluations import evaluation, latest, trend
from .scope import Scope, scoped
from .tallies import kept_tallies, tallied
from .tree import in_tree_order, rolled_up, unit_tree


def _tallies(connection: Connection, evaluation_id: int, units: Scope, with_flags: bool = True,
             from_results: bool = False) -> dict[str, UnitTally]:
    if not from_results and tallied(connection, evaluation_id):
        return kept_tallies(connection, evaluation_id, units)
    # An older version's evaluation: counted from its results (a pass over them), without the flags' detail.
    hours = func.sum(evaluation_results.c.hours_online + evaluation_results.c.hours_offline)
    query = scoped(select(evaluation_results.c.unit_code, evaluation_results.c.unit_name,
                          evaluation_results.c.status, func.count().label("n"), hours.label("hours"))
                   .where(held_in(evaluation_results, evaluation_id))
                   .group_by(evaluation_results.c.unit_code, evaluation_results.c.unit_name,
                             evaluation_results.c.status), units)
    tallies: dict[str, UnitTally] = {}
    for r in connection.execute(query):
        tally = tallies.setdefault(r.unit_code, UnitTally(r.unit_name))
        tally.counts[r.status] += r.n
        if r.status != "suspended":
            tally.hours_millionths += millionths(float(r.hours or 0.0))
    if with_flags:
        for code, n in _flags_by_unit(connection, evaluation_id, units).items():
            if code in tallies:
                tallies[code].flags = n
    return tallies


def _flags_by_unit(connection: Connection, evaluation_id: int, units: Scope) -> dict[str, int]:
    """The flags of each unit's cadres (the suspended apart), by the index (evaluation, cadre, kind)."""
    query = scoped(select(evaluation_results.c.unit_code, func.count().label("n"))
                   .select_from(evaluation_results)
                   .join(evaluation_flags, same_version(evaluation_flags, evaluation_results))
                   .where(held_in(evaluation_results, evaluation_id),
                          evaluation_results.c.status != "suspended"), units)
    return {r.unit_code: r.n for r in connection.execute(query.group_by(evaluation_results.c.unit_code))}


def _per(amount: float, cadres: int, scale: int = 1) -> float:
    """An amount per cadre (or per `scale` cadres), rounded once, half up, to one place (15.25 reads 15.3, as a
    rate's half does); 0 for nobody."""
    if not cadres:
        return 0.0
    return float((Decimal(repr(amount)) * scale / cadres).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _row(code: str, tally: UnitTally, before: UnitTally | None = None) -> UnitRate:
    """A unit's (or the county's) row; with its tally in the evaluation before, the rate's change since."""
    counts: dict[str, Any] = {status: tally.counts[status] for status in STATUSES}  # UnitRate's fields by status
    cadres = counted_cadres(counts) + counts["exempt"]
    rate = completion_rate(counts)
    return UnitRate(code, tally.name, **counts, cadres=cadres, completion_rate=rate,
                    hours=round(tally.hours, 2), hours_per_cadre=_per(tally.hours, cadres), flags=tally.flags,
                    flags_per_100=_per(tally.flags, cadres, 100),
                    change=rate_change(rate, completion_rate(before.counts)) if before else None)


_NEW = UnitTally()  # a unit the evaluation before did not have: no rate then, so no change


def _total(tallies: Iterable[UnitTally]) -> UnitTally:
    """The county's: the units' statuses, hours and flags added up (what its row reads)."""
    total = UnitTally()
    for tally in tallies:
        total.counts.update(tally.counts)
        total.hours_millionths += tally.hours_millionths
        total.flags += tally.flags
    return total


def unit_rates(connection: Connection, evaluation_id: int, units: Scope = None,
               from_results: bool = False) -> dict[str, UnitRate]:
    """Per unit code (within the scope): cadres by status, completion rate, hours and flags per cadre.
    ``from_results``: counted from the results even where the evaluation keeps its units' tallies (what the tallies
    are checked against)."""
    return {code: _row(code, tally) for code, tally in _tallies(connection, evaluation_id, units,
                                                                from_results=from_results).items()}


def ranked(rows: list[UnitRate]) -> list[UnitRate]:
    """By completion rate, highest first, with their rank (1, 2, 2, 4: equal rates share one); units without a
    rate last, unranked; by name within a rank."""
    rated = sorted((r for r in rows if r.completion_rate is not None),
                   key=lambda r: (-(r.completion_rate or 0.0), r.name, r.code))
    answer, rank = [], 0
    for place, row in enumerate(rated, start=1):
        if place == 1 or row.completion_rate != rated[place - 2].completion_rate:
            rank = place
        answer.append(replace(row, rank=rank))
    return answer + sorted((r for r in rows if r.completion_rate is None), key=lambda r: (r.name, r.code))


def _in_tree(rows: dict[str, UnitRate], tree: UnitTree) -> list[UnitRate]:
    """The rows each followed by the units below it, ranked among the units beside them; flat units: all ranked."""
    placed = in_tree_order(rows, tree)
    beside: dict[str | None, list[UnitRate]] = {}
    for code, parent, depth in placed:
        beside.setdefault(parent, []).append(replace(rows[code], parent=parent, depth=depth))
    answer: list[UnitRate] = []

    def walk(parent: str | None) -> None:
        for row in ranked(beside.get(parent, [])):
            answer.append(row)
            walk(row.code)

    walk(None)
    return answer


def rolled_rates(connection: Connection, evaluation_id: int, units: Scope = None) -> dict[str, UnitRate]:
    """Per unit code (within the scope), its figures with those of every unit below it in the evaluation's unit
    tree (as ``unit_rates`` without a tree)."""
    tree = unit_tree(connection, evaluation_id)
    return {code: _row(code, tally) for code, tally in rolled_up(
        _tallies(connection, evaluation_id, units), tree, units).items()}


def _table(connection: Connection, current: Evaluation, previous: Evaluation | None, units: Scope = None,
           unit: str | None = None) -> UnitRates:
    """The units of `current` (with their tree: each unit's figures include those below it, each followed by
    them), ranked, each with its change since `previous`, their total and their rate through the period; `unit` (a
    code or a name) keeps it and the units below it."""
    tree = unit_tree(connection, current.id)
    own = _tallies(connection, current.id, units)
    rolled = rolled_up(own, tree, units)
    if unit:
        chosen = [code for code, t in rolled.items() if unit in (code, t.name)]
        units = sorted(tree.subtrees(chosen) if tree else set(chosen))
        own = {code: t for code, t in own.items() if code in units}
        rolled = {code: t for code, t in rolled.items() if code in units}
    before_own = _tallies(connection, previous.id, units, with_flags=False) if previous else {}
    before = rolled_up(before_own, tree, units)
    rows = {code: _row(code, tally, before.get(code, _NEW) if previous else None) for code, tally in rolled.items()}
    # The county before: its units then, whether or not they are still here.
    county = _row("", _total(own.values()), _total(before_own.values()) if previous else None)
    return UnitRates(evaluation=current, previous=previous, units=_in_tree(rows, tree), total=county,
                     trend=trend(connection, current, units))


def units(connection: Connection, period: str | None = None, unit: str | None = None) -> UnitRates:
    """Unit rates of the latest evaluation (of a period), ranked, with the change since the previous one of the
    same period, the total and the rate through the period; `unit` (code or name) keeps one. Raises NoEvaluation."""
    current = latest(connection, period)
    return _table(connection, current, evaluation(connection, current.period, offset=1), unit=unit)


def flag_kind_counts(connection: Connection, evaluation_id: int, units: Scope = None,
                     from_results: bool = False) -> dict[str, int]:
    """How many flags of each kind an evaluation has (within the scope); ``from_results`` as for ``unit_rates``."""
    if not from_results and tallied(connection, evaluation_id):
        kinds: Counter[str] = Counter()
        for tally in kept_tallies(connection, evaluation_id, units).values():
            kinds.update(tally.flag_kinds)
        return {kind: n for kind, n in kinds.items() if n}
    counted = select(evaluation_flags.c.kind, func.count().label("n"))
    if units is None:  # every flag has its cadre's result: no join, the index (evaluation, kind) alone
        query = counted.where(held_in(evaluation_flags, evaluation_id))
    else:  # the scope's results by the index (evaluation, unit), each one's flags by (evaluation, cadre, kind)
        query = scoped(counted.select_from(evaluation_results)
                   .join(evaluation_flags, same_version(evaluation_flags, evaluation_results))
            .where(held_in(evaluation_results, evaluation_id)), units)
    return {r.kind: r.n for r in connection.execute(query.group_by(evaluation_flags.c.kind))}


def dashboard(connection: Connection, units: Scope = None) -> Dashboard | None:
    """The latest evaluation's units ranked with their total and the rate through the period, and its flags by
    kind, within the scope; None before any evaluation."""
    current = evaluation(connection)
    if current is None:
        return None
    found = current

    def compute() -> Dashboard:  # 100,000 results and their flags aggregated: once per evaluation and scope
        previous = evaluation(connection, found.period, offset=1)
        return Dashboard(rates=_table(connection, found, previous, units),
                         flag_kinds=flag_kind_counts(connection, found.id, units))

    key = ("dashboard", current.id, current.created_at, None if units is None else frozenset(units))
    return remembered(connection, key, compute)


def unit_names(connection: Connection, evaluation_id: int, units: Scope = None) -> list[tuple[str, str]]:
    """(code, name) of the units in an evaluation (within the scope), with the units above them in its tree, by
    name. Remembered: every list page shows them (an older version's evaluation: a pass over its results, 227 ms at
    1,000,000 cadres on PostgreSQL)."""
    key = evaluation_key(connection, "unit names", evaluation_id, None if units is None else frozenset(units))
    if tallied(connection, evaluation_id):
        return remembered(connection, key, lambda: _with_tree(connection, evaluation_id, units, {
            code: t.name for code, t in kept_tallies(connection, evaluation_id, units).items()}))
    query = scoped(select(evaluation_results.c.unit_code, evaluation_results.c.unit_name)
                   .where(held_in(evaluation_results, evaluation_id)).distinct(), units)
    return remembered(connection, key, lambda: _with_tree(connection, evaluation_id, units, {
        r.unit_code: r.unit_name for r in connection.execute(query)}))


def _with_tree(connection: Connection, evaluation_id: int, units: Scope, named: dict[str, str]
               ) -> list[tuple[str, str]]:
    tree = unit_tree(connection, evaluation_id)
    for code in list(named):
        for above in tree.path(code)[:-1]:
            if units is None or above in units:
                named.setdefault(above, tree.name(above) or above)
    return sorted(named.items(), key=lambda pair: (pair[1], pair[0]))

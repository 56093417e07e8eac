"""The units' tallies an evaluation keeps (``store/unit_tallies.py``): a row a unit, what the dashboard, the unit
names, the rate through the period and the flagged list's totals read instead of every result."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import ColumnElement, Connection, and_, func, select

from ..store.held import held_in
from ..store.schema import evaluations, unit_tallies
from ..store.unit_tallies import UnitTally
from ._memo import evaluation_key, recall, remembered
from .scope import Scope


def tallied(connection: Connection, evaluation_id: int) -> bool:
    """Whether the evaluation keeps its units' tallies (an older version's does not)."""
    return bool(connection.execute(select(evaluations.c.tallied).where(evaluations.c.id == evaluation_id)).scalar())


def kept_tallies(connection: Connection, evaluation_id: int, units: Scope) -> dict[str, UnitTally]:
    """The tallies an evaluation keeps, of the units in the scope: a row a unit (without the flagged cadres by kind
    and group, which the list's totals sum in SQL). Every unit's are remembered (an evaluation's never change once
    committed): the dashboard, its previous evaluation's figures, the flag kinds and the unit names read them once
    (8,000 units: half a second)."""
    if units is not None:  # a reviewer's few units: by the index
        return _read(connection, held_in(unit_tallies, evaluation_id), units)
    key = evaluation_key(connection, "unit tallies", evaluation_id)
    return remembered(connection, key, lambda: _every_unit(connection, evaluation_id))


def _every_unit(connection: Connection, evaluation_id: int) -> dict[str, UnitTally]:
    """Every unit's tallies: from those of the period's evaluation before, when they are remembered, with the rows
    this one ended and those it wrote (the units it changed: a nightly evaluation changes few), else all read."""
    period = connection.execute(select(evaluations.c.period).where(evaluations.c.id == evaluation_id)).scalar_one()
    before = connection.execute(select(func.max(evaluations.c.id)).where(
        evaluations.c.period == period, evaluations.c.id < evaluation_id)).scalar()
    known = None if before is None else recall(connection, evaluation_key(connection, "unit tallies", before))
    if known is None:
        return _read(connection, held_in(unit_tallies, evaluation_id), None)
    every = dict(known)
    for code in connection.execute(select(unit_tallies.c.unit_code).where(
            unit_tallies.c.period == period, unit_tallies.c.until_evaluation == evaluation_id)).scalars():
        every.pop(code, None)
    every.update(_read(connection, and_(unit_tallies.c.period == period,
                                        unit_tallies.c.since_evaluation == evaluation_id), None))
    return every


def _read(connection: Connection, rows: ColumnElement[bool], units: Scope) -> dict[str, UnitTally]:
    t = unit_tallies.c
    query = select(t.unit_code, t.unit_name, t.counts, t.hours_millionths, t.flags, t.flagged, t.flag_kinds).where(rows)
    if units is not None:
        query = query.where(t.unit_code.in_(list(units)))
    return {r.unit_code: UnitTally(r.unit_name, Counter(r.counts), r.hours_millionths, r.flags, r.flagged,
                                   Counter(r.flag_kinds)) for r in connection.execute(query)}

"""The units' tallies an evaluation keeps (``store/unit_tallies.py``): a row a unit, what the dashboard, the unit
names, the rate through the period and the flagged list's totals read instead of every result."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Connection, select

from ..store.held import held_in
from ..store.schema import evaluations, unit_tallies
from ..store.unit_tallies import UnitTally
from ._memo import evaluation_key, remembered
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
        return _read(connection, evaluation_id, units)
    key = evaluation_key(connection, "unit tallies", evaluation_id)
    return remembered(connection, key, lambda: _read(connection, evaluation_id, None))


def _read(connection: Connection, evaluation_id: int, units: Scope) -> dict[str, UnitTally]:
    t = unit_tallies.c
    query = select(t.unit_code, t.unit_name, t.counts, t.hours_millionths, t.flags, t.flagged, t.flag_kinds).where(
        held_in(unit_tallies, evaluation_id))
    if units is not None:
        query = query.where(t.unit_code.in_(list(units)))
    return {r.unit_code: UnitTally(r.unit_name, Counter(r.counts), r.hours_millionths, r.flags, r.flagged,
                                   Counter(r.flag_kinds)) for r in connection.execute(query)}

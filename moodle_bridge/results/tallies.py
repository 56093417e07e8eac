"""The units' tallies an evaluation keeps (``store/unit_tallies.py``): a row a unit, what the dashboard, the unit
names, the rate through the period and the flagged list's totals read instead of every result."""

from __future__ import annotations

from sqlalchemy import Connection, select

from ..store.held import held_in
from ..store.schema import evaluations, unit_tallies
from ..store.unit_tallies import UnitTally
from .scope import Scope


def tallied(connection: Connection, evaluation_id: int) -> bool:
    """Whether the evaluation keeps its units' tallies (an older version's does not)."""
    return bool(connection.execute(select(evaluations.c.tallied).where(evaluations.c.id == evaluation_id)).scalar())


def kept_tallies(connection: Connection, evaluation_id: int, units: Scope) -> dict[str, UnitTally]:
    """The tallies an evaluation keeps, of the units in the scope: a row a unit."""
    query = select(unit_tallies).where(held_in(unit_tallies, evaluation_id))
    if units is not None:
        query = query.where(unit_tallies.c.unit_code.in_(list(units)))
    return {r.unit_code: UnitTally.from_row(r) for r in connection.execute(query)}

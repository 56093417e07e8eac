"""Which rows of the evaluation results an evaluation holds.

A result holds from the evaluation that judged the cadre until one that judged them again, within its period
(``schema.evaluation_results``): evaluation E holds the rows of E's period with ``since_evaluation <= E <
until_evaluation``. Every read of an evaluation's results and flags goes through ``held_in``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, and_, select

from .schema import OPEN, evaluations


def held_in(table: Table, evaluation_id: Any) -> ColumnElement[bool]:
    """The rows of ``table`` (``evaluation_results`` or ``evaluation_flags``) evaluation ``evaluation_id`` holds.
    ``evaluation_id`` may be a column (a correlated read, e.g. per evaluation of a list)."""
    period = select(evaluations.c.period).where(evaluations.c.id == evaluation_id).scalar_subquery()
    return and_(table.c.period == period, table.c.since_evaluation <= evaluation_id,
                table.c.until_evaluation > evaluation_id)


def same_version(flags: Table, results: Table) -> ColumnElement[bool]:
    """A flag joined to the result it was raised with (they hold together)."""
    return and_(flags.c.cadre_id == results.c.cadre_id, flags.c.since_evaluation == results.c.since_evaluation)


Held = Callable[[Table], ColumnElement[bool]]  # the rows of a table an evaluation holds


def held_by(connection: Connection, evaluation_id: int) -> Held:
    """``held_in``, as an index range reads it: for the period's latest evaluation, the rows that hold now
    (``until_evaluation`` OPEN: one value, which the review page's indexes give in order), for any other ``held_in``.
    Decided once, for every table a page reads. An evaluation committed after this call makes the rows read its
    own, whole (a page then shows the newer evaluation's rows): counts that are remembered use ``held_in``."""
    period = connection.execute(select(evaluations.c.period).where(evaluations.c.id == evaluation_id)).scalar()
    later = connection.execute(select(evaluations.c.id).where(
        evaluations.c.period == period, evaluations.c.id > evaluation_id).limit(1)).first()
    if period is None or later is not None:
        return lambda table: held_in(table, evaluation_id)
    return lambda table: and_(table.c.period == period, table.c.until_evaluation == OPEN)

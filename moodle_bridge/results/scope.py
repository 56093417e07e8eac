"""The reviewer's scope: the unit codes they may see, applied in the query itself."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Select

from ..store.schema import evaluation_results

Scope = Collection[str] | None  # the unit codes a reviewer may see; None: every unit


def scoped(query: Select[Any], units: Scope) -> Select[Any]:
    """The query kept to the units (over a select that has evaluation_results in it)."""
    return query if units is None else query.where(evaluation_results.c.unit_code.in_(list(units)))

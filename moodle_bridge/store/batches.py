"""Ids in batches for ``IN (...)`` lists: every reader of a set of cadres or users goes through here, so that no
statement binds more parameters than SQLite or PostgreSQL take."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from sqlalchemy import ColumnElement

T = TypeVar("T", int, str)
IN_LIST = 5_000  # ids in one IN (...) list: far below SQLite's (32,766) and PostgreSQL's (65,535) limits


def id_batches(ids: Iterable[T], size: int = IN_LIST) -> Iterator[list[T]]:
    """The distinct ``ids``, sorted, ``size`` at a time."""
    every = sorted(set(ids))
    for start in range(0, len(every), size):
        yield every[start:start + size]


def where_in(column: ColumnElement[Any], ids: Iterable[T] | None) -> Iterator[list[ColumnElement[bool]]]:
    """The conditions of one statement per batch of ``ids`` on ``column``; with ``ids`` None, one statement and no
    condition (every row)."""
    if ids is None:
        yield []
        return
    for batch in id_batches(ids):
        yield [column.in_(batch)]

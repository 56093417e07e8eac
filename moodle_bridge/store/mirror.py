"""Reading and writing the mirror. Every function takes an open connection: the caller owns the
transaction, so a partition's rows, its bookmark and the run's counts commit together."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import BindParameter, Connection, Table, and_, bindparam, insert, select, tuple_, update

from .diff import Changes, Key, Row, diff
from .schema import sync_partitions, sync_runs, sync_state

T = TypeVar("T")


def key_columns(table: Table) -> list[str]:
    return [c.name for c in table.primary_key.columns]


def row_key(table: Table, row: Row) -> Key:
    names = key_columns(table)
    return row[names[0]] if len(names) == 1 else tuple(row[n] for n in names)


def load(connection: Connection, table: Table, **equal: Any) -> dict[Key, Row]:
    """Rows (gone ones too) by key, optionally only those whose columns equal the given values."""
    query = select(table)
    if equal:
        query = query.where(and_(*(table.c[name].is_(None) if value is None else table.c[name] == value
                                   for name, value in equal.items())))
    return {row_key(table, dict(r._mapping)): dict(r._mapping) for r in connection.execute(query)}


def load_keys(connection: Connection, table: Table, keys: list[Key]) -> dict[Key, Row]:
    """Rows with the given keys (single-column keys)."""
    column = table.c[key_columns(table)[0]]
    found: dict[Key, Row] = {}
    for chunk in _chunks(list(keys), 500):
        for r in connection.execute(select(table).where(column.in_(chunk))):
            found[row_key(table, dict(r._mapping))] = dict(r._mapping)
    return found


def load_pairs(connection: Connection, table: Table, keys: list[tuple[Any, ...]]) -> dict[Key, Row]:
    """Rows with the given two-column keys."""
    columns = [table.c[k] for k in key_columns(table)]
    found: dict[Key, Row] = {}
    for chunk in _chunks(list(keys), 500):
        for r in connection.execute(select(table).where(tuple_(*columns).in_(chunk))):
            found[row_key(table, dict(r._mapping))] = dict(r._mapping)
    return found


def apply(connection: Connection, table: Table, changes: Changes, reason: str, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    keys = key_columns(table)
    if changes.added:
        connection.execute(insert(table), [{**row, "gone_at": None, "gone_reason": None} for row in changes.added])
    if changes.changed:
        statement = update(table).where(and_(*(table.c[k] == _bind(k) for k in keys)))
        values = [{**{f"k_{k}": row[k] for k in keys}, **{c: v for c, v in row.items() if c not in keys},
                   "gone_at": None, "gone_reason": None} for row in changes.changed]
        names = [c for c in values[0] if not c.startswith("k_")]
        connection.execute(statement.values({c: _bind(c, plain=True) for c in names}), values)
    if changes.gone:
        gone = [k if isinstance(k, tuple) else (k,) for k in changes.gone]
        for chunk in _chunks(gone, 500):
            connection.execute(update(table).where(tuple_(*(table.c[k] for k in keys)).in_(chunk))
                               .values(gone_at=now, gone_reason=reason))


def refresh(connection: Connection, table: Table, fresh: Mapping[Key, Row], reason: str, *,
            scope: Mapping[str, Any] | None = None, gone_candidates: Iterable[Key] | None = None) -> Changes:
    """Load the mirror's rows (those matching ``scope``), diff a fresh read against them, apply.
    ``reason``: why rows proven gone are gone (see ``diff`` for ``gone_candidates``)."""
    existing = load(connection, table, **(scope or {}))
    changes = diff(existing, fresh, gone_candidates)
    apply(connection, table, changes, reason)
    return changes


def _bind(name: str, plain: bool = False) -> BindParameter[Any]:
    return bindparam(name if plain else f"k_{name}")


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- runs and bookmarks ------------------------------------------------------------------------


def running_run(connection: Connection) -> Row | None:
    row = connection.execute(
        select(sync_runs).where(sync_runs.c.status == "running").order_by(sync_runs.c.id.desc())
    ).first()
    return None if row is None else dict(row._mapping)


def start_run(connection: Connection, kind: str) -> int:
    key = connection.execute(
        insert(sync_runs).values(kind=kind, started_at=datetime.now(UTC), status="running", counts={})
    ).inserted_primary_key
    assert key is not None  # a single-row INSERT always has one
    return int(key[0])


def add_counts(connection: Connection, run_id: int, entity: str, counts: dict[str, int]) -> None:
    current = connection.execute(select(sync_runs.c.counts).where(sync_runs.c.id == run_id)).scalar_one() or {}
    merged = dict(current)
    entity_counts = dict(merged.get(entity, {}))
    for name, value in counts.items():
        entity_counts[name] = entity_counts.get(name, 0) + value
    merged[entity] = entity_counts
    connection.execute(update(sync_runs).where(sync_runs.c.id == run_id).values(counts=merged))


def finish_run(connection: Connection, run_id: int, status: str, error: str | None = None) -> None:
    connection.execute(update(sync_runs).where(sync_runs.c.id == run_id).values(
        status=status, finished_at=datetime.now(UTC), error=error))


def done_partitions(connection: Connection, run_id: int) -> set[tuple[str, str]]:
    rows = connection.execute(select(sync_partitions.c.entity, sync_partitions.c.partition)
                              .where(sync_partitions.c.run_id == run_id))
    return {(r.entity, r.partition) for r in rows}


def mark_done(connection: Connection, run_id: int, entity: str, partition: str) -> None:
    connection.execute(insert(sync_partitions).values(run_id=run_id, entity=entity, partition=partition,
                                                      done_at=datetime.now(UTC)))


def get_state(connection: Connection, entity: str, key: str) -> Any:
    return connection.execute(select(sync_state.c.value).where(and_(
        sync_state.c.entity == entity, sync_state.c.key == key))).scalar()


def set_state(connection: Connection, entity: str, key: str, value: Any) -> None:
    updated = connection.execute(update(sync_state).where(and_(
        sync_state.c.entity == entity, sync_state.c.key == key)).values(value=value)).rowcount
    if not updated:
        connection.execute(insert(sync_state).values(entity=entity, key=key, value=value))

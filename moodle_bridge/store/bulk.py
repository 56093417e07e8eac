"""Many rows into one table, the fastest way each database offers: ``COPY`` on PostgreSQL, the driver's own
``executemany`` on SQLite. An evaluation writes a row per credit, per result and per flag (half a million at
100,000 cadres); SQLAlchemy's generic insert spends most of that time in Python, per row.

Values go through each column's own bind processing (JSON as text, dates as the dialect stores them), so the rows
read back exactly as if SQLAlchemy had written them; the caller's transaction holds them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys: column names) into ``table``."""
    if not rows:
        return
    names = list(rows[0])
    dialect = connection.dialect
    processors: list[Callable[[Any], Any] | None] = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                                                     for name in names]
    values = ([row[name] if process is None else process(row[name]) for name, process in zip(names, processors,
                                                                                             strict=True)]
              for row in rows)
    if dialect.name == "postgresql":
        columns = ", ".join(f'"{name}"' for name in names)
        with (connection.connection.driver_connection.cursor() as cursor,  # type: ignore[union-attr]  # psycopg's
              cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy):
            for row in values:
                copy.write_row(row)
    elif dialect.name == "sqlite":
        marks = ", ".join("?" for _ in names)
        columns = ", ".join(f'"{name}"' for name in names)
        connection.connection.driver_connection.executemany(  # type: ignore[union-attr]  # sqlite3's own
            f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', values)
    else:  # another database: SQLAlchemy's way
        connection.execute(insert(table), [dict(row) for row in rows])

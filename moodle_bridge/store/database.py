"""Connecting to the store and keeping its schema current with Alembic."""

from __future__ import annotations

import os
import sqlite3
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError as AlembicCommandError
from sqlalchemy import URL, Connection, Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from ..config import ConfigError

MIGRATIONS = Path(__file__).parent / "migrations"


class NotMigrated(Exception):
    """The store is missing or behind; the message says what to run."""


class StoreTooNew(NotMigrated):
    """The store's schema is newer than this code knows: it was upgraded by a newer moodle_bridge."""


def connect(url: str | URL) -> Engine:
    """An engine for ``url``; a URL that names no usable database is a :class:`ConfigError` on ``store.url``.

    A new SQLite file is created readable by its owner only (0600): the store holds password hashes.
    """
    try:
        engine = create_engine(url, future=True)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise ConfigError(f"store.url: not a database address moodle_bridge can use ({type(exc).__name__}); use "
                          "sqlite:///path/to/store.db or postgresql+psycopg://user@host/database") from None
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        _create_private(database)
        in_memory = not database or database == ":memory:" or "mode=memory" in database
        # SQLite ignores foreign keys and waits for no lock unless told to. A file store keeps a write-ahead log
        # (WAL: its -wal and -shm files take the store's own mode, 0600): the review page's readers then read
        # beside an evaluation's long write transaction instead of waiting for it.
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:  # the driver's own objects
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if not in_memory:  # kept in the file (a no-op on a store already in WAL); a read-only store stays as is
                with suppress(sqlite3.OperationalError):
                    cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    return engine


EVALUATION_TABLES = ("evaluations", "evaluation_results", "evaluation_flags")


def refresh_statistics(connection: Connection, tables: tuple[str, ...] = EVALUATION_TABLES) -> None:
    """Fresh planner statistics for these tables (by default an evaluation's), after a large write.

    Call it inside the writing transaction, before its commit: both stores count the transaction's own new rows, and
    the statistics then become visible with them. Analysed after the commit, the first reads of a new evaluation are
    planned on statistics that have never seen its id (PostgreSQL: a 35 s list page under load, issue 11), and
    without statistics at all PostgreSQL plans the review page's reads as if the tables were empty (seconds until
    autovacuum gets round to them) and SQLite picks the wrong index for a reviewer's units.

    PostgreSQL: ``ANALYZE`` (a sample of 30,000 rows a table). SQLite: a whole ``ANALYZE`` of each table (about 1 s a
    million rows: 0.4 s an evaluation of 100,000 cadres). Not ``PRAGMA optimize``, which analyses only the tables its
    own connection has read, nor a bounded ``analysis_limit``, which reads the first evaluation's rows alone and so
    takes every evaluation for the size of its first 1,000 rows: a reviewer's two units are then read in name order
    through the whole evaluation instead of by their unit index."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {', '.join(tables)}")
    elif connection.dialect.name == "sqlite":
        for table in tables:
            connection.exec_driver_sql(f"ANALYZE {table}")


def _create_private(database: str | None) -> None:
    """Create a SQLite store file 0600 before SQLite does (it would follow the umask, often 0644)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    with suppress(OSError):  # it exists (left as it is), or its folder does not: SQLite says so when it connects
        os.close(os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the pending migrations; a store newer than the code is :class:`StoreTooNew`, never downgraded."""
    status = migration_status(engine)
    if status.too_new:
        raise _too_new(engine, status)
    command.upgrade(_alembic_config(engine), revision)


@dataclass(frozen=True)
class MigrationStatus:
    reachable: bool
    current: str | None
    head: str
    error: str | None = None
    known: bool = True  # False: ``current`` is a revision this code has never heard of (a newer moodle_bridge's)

    @property
    def up_to_date(self) -> bool:
        return self.reachable and self.current == self.head

    @property
    def too_new(self) -> bool:
        return self.reachable and not self.known


def migration_status(engine: Engine) -> MigrationStatus:
    scripts = ScriptDirectory.from_config(_alembic_config(engine))
    head = scripts.get_current_head() or ""
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        return MigrationStatus(False, None, head, error=str(getattr(exc, "orig", None) or exc).splitlines()[0])
    known = True
    if current is not None:
        try:
            known = scripts.get_revision(current) is not None
        except AlembicCommandError:  # alembic's "Can't locate revision identified by ..."
            known = False
    return MigrationStatus(True, current, head, known=known)


def _too_new(engine: Engine, status: MigrationStatus) -> StoreTooNew:
    return StoreTooNew(
        f"the store at {engine.url.render_as_string(hide_password=True)} has schema {status.current}, newer than "
        f"this moodle_bridge knows (its newest is {status.head}): upgrade moodle_bridge, or point store.url at "
        "the right store")


def require_migrated(engine: Engine) -> None:
    status = migration_status(engine)
    if not status.reachable:
        raise NotMigrated(f"the store at {engine.url.render_as_string(hide_password=True)} "
                          f"cannot be reached: {status.error}")
    if status.too_new:
        raise _too_new(engine, status)
    if not status.up_to_date:
        raise NotMigrated(
            f"the store is not migrated (at {status.current or 'nothing'}, needs {status.head}): "
            "run `moodle-bridge db upgrade`"
        )


# --- what went wrong with the store, in one sentence ---------------------------------------------------------------

_SQLITE_SENTENCES = (
    ("readonly database", "read-only", "is read-only: let the user running moodle_bridge write to it and to its "
                                       "folder, or point store.url at a writable store"),
    ("database is locked", "locked", "is locked by another program (waited 30 s): try again when that has "
                                     "finished, or find the process holding it"),
    ("disk is full", "full", "is full (its disk has no space left): free some space, then run again"),
    ("disk i/o error", "io", "cannot be read or written (a disk I/O error): check the disk and the file"),
    ("unable to open database file", "unreachable", "cannot be opened: check that its folder exists and "
                                                    "that the user running moodle_bridge may write there"),
    ("file is not a database", "not-a-store", "is not a SQLite database: point store.url at the store file"),
    ("database disk image is malformed", "corrupt", "is damaged: restore it from a backup"),
    ("no such table", "not-migrated", "has no tables yet: run `moodle-bridge db upgrade`"),
)
_POSTGRES_SENTENCES = {  # SQLSTATE class or code -> (kind, sentence)
    "25006": ("read-only", "is read-only (a standby, or default_transaction_read_only): point store.url at the "
                           "primary"),
    "55P03": ("locked", "is locked by another session: try again when that has finished"),
    "40P01": ("locked", "met a deadlock with another session: run again"),
    "53100": ("full", "is full (the database server's disk has no space left): free some space, then run again"),
    "53": ("full", "has run out of a resource (disk, memory or connections): ask its administrator"),
    "08": ("unreachable", "cannot be reached: check store.url and that the database server is running"),
    "28": ("refused", "refused the login: check the user and password in store.url (or ~/.pgpass)"),
    "3D": ("unreachable", "has no such database: create it, or check store.url"),
    "42P01": ("not-migrated", "has no tables yet: run `moodle-bridge db upgrade`"),
}


@dataclass(frozen=True)
class StoreProblem:
    """A store failure told plainly: ``kind`` (read-only, locked, full, unreachable, ...) and one sentence."""

    kind: str
    sentence: str


def explain(exc: BaseException, url: str | None = None) -> StoreProblem | None:
    """The plain sentence for a store failure, None when it is not one this knows (then it is unexpected)."""
    where = f"The store {url}" if url else "The store"
    if isinstance(exc, StoreTooNew):
        return StoreProblem("too-new", f"The store is newer than this moodle_bridge: {exc}")
    if isinstance(exc, NotMigrated):
        return StoreProblem("not-migrated", f"The store is not ready: {exc}")
    if not isinstance(exc, DBAPIError):
        return None
    original = exc.orig
    sqlstate = str(getattr(original, "sqlstate", None) or getattr(original, "pgcode", None) or "")
    if sqlstate:
        for key in (sqlstate, sqlstate[:2]):
            if key in _POSTGRES_SENTENCES:
                kind, sentence = _POSTGRES_SENTENCES[key]
                return StoreProblem(kind, f"{where} {sentence}.")
    text = str(original or exc).lower()
    for needle, kind, sentence in _SQLITE_SENTENCES:
        if needle in text:
            return StoreProblem(kind, f"{where} {sentence}.")
    if "connection" in text and ("refused" in text or "failed" in text or "timeout" in text):
        return StoreProblem("unreachable", f"{where} cannot be reached: check store.url and that the database "
                                           "server is running.")
    return None

"""Connecting to the store and keeping its schema current with Alembic."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError

MIGRATIONS = Path(__file__).parent / "migrations"


class NotMigrated(Exception):
    """The store is missing or behind; the message says what to run."""


def connect(url: str) -> Engine:
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        # SQLite ignores foreign keys and waits for no lock unless told to.
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:  # the driver's own objects
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    return engine


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(_alembic_config(engine), revision)


@dataclass(frozen=True)
class MigrationStatus:
    reachable: bool
    current: str | None
    head: str
    error: str | None = None

    @property
    def up_to_date(self) -> bool:
        return self.reachable and self.current == self.head


def migration_status(engine: Engine) -> MigrationStatus:
    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head() or ""
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        return MigrationStatus(False, None, head, error=str(getattr(exc, "orig", None) or exc).splitlines()[0])
    return MigrationStatus(True, current, head)


def require_migrated(engine: Engine) -> None:
    status = migration_status(engine)
    if not status.reachable:
        raise NotMigrated(f"the store at {engine.url.render_as_string(hide_password=True)} "
                          f"cannot be reached: {status.error}")
    if not status.up_to_date:
        raise NotMigrated(
            f"the store is not migrated (at {status.current or 'nothing'}, needs {status.head}): "
            "run `moodle-bridge db upgrade`"
        )

"""A lock in the store, for "never two pipelines at once, even from two processes".

Works the same on SQLite and PostgreSQL: a row per lock name. Taking it is an INSERT (the primary
key makes it exclusive); a holder refreshes a heartbeat while it runs. A lock is taken over when
its holder is gone: a process on this host that no longer exists, or a heartbeat older than
``stale_after`` (a holder on another host that died).
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Engine, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from .schema import locks

log = structlog.get_logger("moodle_bridge.lock")


class Locked(Exception):
    """Someone else holds the lock; the message says who and since when."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StoreLock:
    def __init__(self, engine: Engine, name: str = "pipeline", stale_after: float = 600.0,
                 heartbeat: float = 30.0) -> None:
        self.engine, self.name = engine, name
        self.stale_after, self.heartbeat = stale_after, heartbeat
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.holder = f"{self.host}:{self.pid}:{secrets.token_hex(4)}"
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def acquire(self) -> None:
        now = datetime.now(UTC)
        row = {"name": self.name, "holder": self.holder, "host": self.host, "pid": self.pid,
               "acquired_at": now, "heartbeat_at": now}
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(locks).values(**row))
        except IntegrityError:
            self._take_over_if_abandoned(row)
        self._stop.clear()
        self._beat = threading.Thread(target=self._heartbeat, daemon=True, name="lock-heartbeat")
        self._beat.start()

    def _take_over_if_abandoned(self, row: dict[str, Any]) -> None:
        with self.engine.begin() as connection:
            current = connection.execute(select(locks).where(locks.c.name == self.name)).first()
            if current is None:
                connection.execute(insert(locks).values(**row))
                return
            here = current.host == self.host
            dead_here = here and not _alive(current.pid)
            stale = current.heartbeat_at.replace(tzinfo=current.heartbeat_at.tzinfo or UTC) < (
                row["acquired_at"] - timedelta(seconds=self.stale_after))
            # A live process on this host keeps its lock, heartbeat or not (a busy store can delay it).
            if not (dead_here or (stale and not here)):
                raise Locked(f"held by {current.holder} since {current.acquired_at:%Y-%m-%d %H:%M:%S}")
            taken = connection.execute(update(locks).where(and_(
                locks.c.name == self.name, locks.c.holder == current.holder)).values(**row)).rowcount
            if taken != 1:  # another process took it over first
                raise Locked("taken over by another process just now")

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                with self.engine.begin() as connection:
                    connection.execute(update(locks).where(and_(locks.c.name == self.name,
                                                                locks.c.holder == self.holder))
                                       .values(heartbeat_at=datetime.now(UTC)))
            except Exception as exc:
                log.warning("lock.heartbeat_failed", lock=self.name, error=type(exc).__name__)

    def release(self) -> None:
        self._stop.set()
        if self._beat:
            self._beat.join(timeout=5)
        with self.engine.begin() as connection:
            connection.execute(delete(locks).where(and_(locks.c.name == self.name, locks.c.holder == self.holder)))

    def __enter__(self) -> StoreLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

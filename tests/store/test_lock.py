"""The store lock: one holder across processes, released when the holder dies; SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.lock import Locked, StoreLock
from moodle_bridge.store.schema import locks

ROOT = Path(__file__).resolve().parents[2]


def test_a_second_process_cannot_take_the_lock_until_the_holder_dies(db_url):
    engine = connect(db_url)
    upgrade(engine)
    holder = subprocess.Popen([sys.executable, str(Path(__file__).with_name("hold_lock.py")), db_url],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(Locked, match="held by"):
            StoreLock(engine).acquire()
    finally:
        holder.kill()  # SIGKILL: no chance to release
        holder.wait()
    with StoreLock(engine):  # the holder's process is gone: taken over
        with engine.connect() as c:
            assert c.execute(sa.select(sa.func.count()).select_from(locks)).scalar() == 1
    with engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(locks)).scalar() == 0  # released
    engine.dispose()


def test_a_holder_on_another_host_is_taken_over_only_when_its_heartbeat_is_stale(db_url):
    engine = connect(db_url)
    upgrade(engine)
    fresh = datetime.now(UTC)
    with engine.begin() as c:
        c.execute(sa.insert(locks).values(name="pipeline", holder="elsewhere:1:x", host="elsewhere", pid=1,
                                          acquired_at=fresh, heartbeat_at=fresh))
    with pytest.raises(Locked):
        StoreLock(engine, stale_after=600).acquire()
    with engine.begin() as c:
        c.execute(sa.update(locks).values(heartbeat_at=fresh - timedelta(hours=1)))
    with StoreLock(engine, stale_after=600) as lock:
        with engine.connect() as c:
            assert c.execute(sa.select(locks.c.holder)).scalar() == lock.holder
    engine.dispose()


def test_a_live_holder_on_this_host_keeps_the_lock_even_with_a_stale_heartbeat(db_url):
    import os
    import socket

    engine = connect(db_url)
    upgrade(engine)
    old = datetime.now(UTC) - timedelta(hours=2)
    with engine.begin() as c:  # this very process is alive: its lock is not abandoned
        c.execute(sa.insert(locks).values(name="pipeline", holder="busy", host=socket.gethostname(),
                                          pid=os.getpid(), acquired_at=old, heartbeat_at=old))
    with pytest.raises(Locked):
        StoreLock(engine, stale_after=60).acquire()
    engine.dispose()

"""SIGKILL a syncing child process at random instants; the restarted sync must end exactly where
one clean full sync ends: no duplicates, nothing lost."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from moodle_bridge.store import connect
from moodle_bridge.store.schema import sync_partitions, sync_runs
from tests.sync.expected import differences, mirrored

CHILD = Path(__file__).with_name("kill_child.py")
ROOT = Path(__file__).resolve().parents[2]


def run_child(db_url: str, road: str, markers: Path, pause: float, kill: tuple[str, float] | None) -> int | None:
    """Run the child; ``kill`` = ("timer", seconds) or ("marker", k): SIGKILL it then, in the marker
    case while it holds its k-th partition's transaction open (it waits there for the kill, so how
    fast the machine is does not matter). Returns its exit code, or None when killed."""
    hold_at = [str(int(kill[1]))] if kill and kill[0] == "marker" else []
    process = subprocess.Popen([sys.executable, str(CHILD), db_url, road, str(markers), str(pause), *hold_at],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if kill is None:
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()[-2000:]
        return process.returncode
    mode, when = kill
    deadline = time.monotonic() + 300  # a hung child, not a slow one: the child waits for the kill
    if mode == "timer":
        try:
            process.wait(timeout=when)
            return process.returncode
        except subprocess.TimeoutExpired:
            pass
    else:  # once the k-th partition has announced itself: the child holds it open until killed
        wanted = int(when)
        while process.poll() is None and time.monotonic() < deadline:
            if markers.exists() and len(markers.read_text().splitlines()) >= wanted:
                break
            time.sleep(0.01)
        if process.poll() is not None:
            return process.returncode
    process.send_signal(signal.SIGKILL)
    process.wait()
    return None


def landed_inside_a_partition(db_url: str, markers: Path) -> bool:
    """The last partition the child announced (rows and bookmark written) never committed."""
    lines = markers.read_text().splitlines() if markers.exists() else []
    if not lines:
        return False
    entity, partition = lines[-1].split("\t")
    engine = connect(db_url)
    with engine.connect() as connection:
        committed = connection.execute(sa.select(sa.func.count()).select_from(sync_partitions).where(
            sync_partitions.c.entity == entity, sync_partitions.c.partition == partition)).scalar()
    engine.dispose()
    return committed == 0


@pytest.mark.parametrize("road", ["report", "batch"])
def test_sync_killed_at_random_points_ends_like_one_clean_sync(db_url, tmp_path, road, request):
    rng = random.Random(f"kill-{road}-{request.node.callspec.id}")
    # A clean reference in its own database (a file: the kills below work on db_url).
    reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
    run_child(reference_url, road, tmp_path / "reference.markers", 0.0, None)

    markers = tmp_path / "markers"
    kills = inside = 0
    for attempt in range(16):
        markers.unlink(missing_ok=True)
        kill = ("timer", rng.uniform(0.8, 3.0)) if attempt % 2 else ("marker", rng.randint(1, 12))
        outcome = run_child(db_url, road, markers, pause=0.05, kill=kill)
        if outcome is not None:
            continue  # this run finished; the next child starts a new one to interrupt
        kills += 1
        inside += landed_inside_a_partition(db_url, markers)
        if inside >= 3 and kills >= 6:
            break
    assert inside >= 1, f"{kills} kills, none between a partition's rows and its bookmark"
    run_child(db_url, road, markers, 0.0, None)  # the restart that finishes the run

    engine, reference = connect(db_url), connect(reference_url)
    assert differences(mirrored(reference), mirrored(engine)) == []
    with engine.connect() as connection:
        statuses = [r.status for r in connection.execute(sa.select(sync_runs.c.status))]
    assert statuses and set(statuses) == {"succeeded"}, statuses  # every interrupted run was resumed
    engine.dispose()
    reference.dispose()
    print(f"{road}: {kills} kills, {inside} inside a partition's transaction")

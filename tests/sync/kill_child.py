"""A sync in a child process, for the kill tests: python kill_child.py DB_URL ROAD MARKERS PAUSE [HOLD_AT].

Before each partition commits (its rows and bookmark written, not yet committed) it appends
"entity<TAB>partition" to MARKERS and pauses PAUSE seconds, so that a SIGKILL from the parent's
timer lands there now and then. With HOLD_AT = k it stops at the k-th partition, its transaction
open, until the parent kills it: a kill inside a partition that no machine's speed can miss.
"""

from __future__ import annotations

import os
import sys
import time

import responses

from moodle_bridge.config import Settings
from moodle_bridge.log import configure_logging
from moodle_bridge.moodle import MoodleClient
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle
from moodle_bridge.store import connect, upgrade
from moodle_bridge.sync import Sync, SyncOptions


def main() -> None:
    db_url, road, markers, pause = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    hold_at = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    announced = 0
    configure_logging("error", "json")
    moodle = SimulatedMoodle(generate("small"))
    engine = connect(db_url)
    upgrade(engine)
    settings = Settings(moodle={"url": moodle.siteurl, "completions_report_id": 2}, sync={"completion_road": road})

    def before_commit(entity: str, partition: str) -> None:
        nonlocal announced
        with open(markers, "a") as out:
            out.write(f"{entity}\t{partition}\n")
            out.flush()
            os.fsync(out.fileno())
        announced += 1
        if announced == hold_at:
            time.sleep(600)  # the parent kills us here; the bound only ends an orphan
            sys.exit(4)
        time.sleep(pause)

    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        client = MoodleClient(moodle.siteurl, "simulated-token")
        summary = Sync(settings, client, engine, before_commit=before_commit).run(SyncOptions(full=True))
    sys.exit(0 if summary.ok else 3)


if __name__ == "__main__":
    main()

"""A sync in a child process, for the kill tests: python kill_child.py DB_URL ROAD MARKERS PAUSE.

Before each partition commits (its rows and bookmark written, not yet committed) it appends
"entity<TAB>partition" to MARKERS and pauses PAUSE seconds, so that a SIGKILL from the parent
lands there often enough.
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
    configure_logging("error", "json")
    moodle = SimulatedMoodle(generate("small"))
    engine = connect(db_url)
    upgrade(engine)
    settings = Settings(moodle={"url": moodle.siteurl, "completions_report_id": 2}, sync={"completion_road": road})

    def before_commit(entity: str, partition: str) -> None:
        with open(markers, "a") as out:
            out.write(f"{entity}\t{partition}\n")
            out.flush()
            os.fsync(out.fileno())
        time.sleep(pause)

    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        client = MoodleClient(moodle.siteurl, "simulated-token")
        summary = Sync(settings, client, engine, before_commit=before_commit).run(SyncOptions(full=True))
    sys.exit(0 if summary.ok else 3)


if __name__ == "__main__":
    main()

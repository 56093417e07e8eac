from __future__ import annotations

import pytest
import responses

from moodle_bridge.config import Settings
from moodle_bridge.moodle import MoodleClient, RetryPolicy
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle
from moodle_bridge.store import connect, upgrade
from moodle_bridge.sync import Sync, SyncOptions


class Harness:
    """A simulated Moodle, a migrated store and a way to sync between them."""

    def __init__(self, db_url: str, road: str, size: str = "small", report_id: int = 2, site=None) -> None:
        self.site = site if site is not None else generate(size)
        self.moodle = SimulatedMoodle(self.site)
        self.road = road
        self.engine = connect(db_url)
        upgrade(self.engine)
        self.settings = Settings(moodle={"url": self.moodle.siteurl, "completions_report_id": report_id},
                                 sync={"completion_road": road})
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self.mock.start()
        self.moodle.mount(self.mock)
        self.client = MoodleClient(self.moodle.siteurl, "simulated-token", sleep=lambda s: None,
                                   retry=RetryPolicy(attempts=4, maintenance_wait=1, maintenance_patience=3))

    def sync(self, **options):
        return Sync(self.settings, self.client, self.engine).run(SyncOptions(**options))

    def close(self) -> None:
        self.mock.stop()
        self.mock.reset()
        self.engine.dispose()


@pytest.fixture
def harness_factory(db_url):
    made = []

    def make(road: str = "report", size: str = "small", report_id: int = 2, site=None) -> Harness:
        made.append(Harness(db_url, road, size, report_id, site))
        return made[-1]

    yield make
    # Last made, first closed: each harness's mock patched the HTTP adapter over the one before, and stopping them in
    # the order made restored the first's patch, which then refused every later test's real connection.
    for harness in reversed(made):
        harness.close()

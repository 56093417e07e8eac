"""A store holding the recorded real Moodle 5.1 site (``shared/moodle/sites/small``, snapshot-a), synced through the
simulator and evaluated with the example rules, with one offline training: what the training-file tests read."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
import responses
from sqlalchemy import Engine, func, select

from moodle_bridge.config import Settings
from moodle_bridge.moodle import MoodleClient, RetryPolicy
from moodle_bridge.rules.offline import template_header
from moodle_bridge.services.evaluation import evaluate
from moodle_bridge.services.offline import import_offline, parse_offline
from moodle_bridge.services.rules_file import load_rules
from moodle_bridge.simulator.server import SimulatedMoodle
from moodle_bridge.simulator.truth import load_site
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import credit_entries
from moodle_bridge.sync import Sync, SyncOptions

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT.parent / "shared" / "moodle" / "sites" / "small" / "snapshot-a"
RULES = ROOT / "config" / "rules.example.yaml"
AS_OF = date(2026, 11, 30)  # the site was recorded on 30 November 2026
OFFLINE = ("County Party School autumn course", "County Party School")


def skip_without_the_recording() -> None:
    if not SITE.is_dir():  # CI lays shared/ beside the clone; a missing recording must not pass unseen
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            raise RuntimeError(f"the recorded site is missing: {SITE}")
        pytest.skip(f"the recorded site is not here: {SITE}", allow_module_level=True)


def recorded_store(folder: Path) -> tuple[Engine, str]:
    """The synced and evaluated store in ``folder``, and the cadre with the most courses credited (who also has the
    offline training)."""
    moodle = SimulatedMoodle(load_site(SITE))
    engine = connect(f"sqlite:///{folder / 'store.db'}")
    upgrade(engine)
    settings = Settings(moodle={"url": moodle.siteurl, "completions_report_id": 4},
                        sync={"completion_road": "report"})
    client = MoodleClient(moodle.siteurl, "simulated-token", sleep=lambda s: None,
                          retry=RetryPolicy(attempts=4, maintenance_wait=1, maintenance_patience=3))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        moodle.mount(mock)
        assert Sync(settings, client, engine).run(SyncOptions(full=True)).ok
    loaded = load_rules(RULES)
    evaluate(engine, loaded, "2026", AS_OF)  # credits every completion into the ledger
    with engine.connect() as connection:
        cadre_id = connection.execute(
            select(credit_entries.c.cadre_id).where(credit_entries.c.source.like("completion:%"))
            .group_by(credit_entries.c.cadre_id).order_by(func.count().desc(), credit_entries.c.cadre_id)).scalar()
    assert cadre_id
    offline = folder / "offline.csv"
    from moodle_bridge.reports import export

    export.write_csv([export.Sheet("Offline training", template_header("en"), [
        [cadre_id, OFFLINE[0], OFFLINE[1], "2026-10-12", "2026-10-14", 3, "", 0, "party school", "PS-0001"]])],
        offline)
    import_offline(engine, parse_offline(offline), offline.name)
    evaluate(engine, loaded, "2026", AS_OF)
    return engine, cadre_id

"""``moodle-bridge doctor``: the readiness checks (``doctor.py``) against the configured site, or against a stand-in
Moodle that replays a real Moodle 5.1's recorded answers, with a temporary store (no site needed)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from ..config import Settings
from ..doctor import DoctorReport, run_doctor
from ..moodle import MoodleClient
from ..rules.sections import Cadres
from ..store import connect, upgrade


def check(settings: Settings, client: MoodleClient) -> DoctorReport:
    """Moodle, the token and the configured store, with the rules file's unit tree (when it can be read: `rules
    check` says what is wrong with one that cannot)."""
    return run_doctor(settings, client, connect(settings.store.url), _cadres(settings))


def _cadres(settings: Settings) -> Cadres | None:
    from .rules_file import RulesError, load_rules

    try:
        return load_rules(settings.rules.file).rules.cadres if settings.rules.file.exists() else None
    except RulesError:
        return None


def check_against_fixtures(use: Callable[[Settings], None] | None = None) -> DoctorReport:
    """The checks against the recorded answers, with a temporary store; ``use`` is shown the settings made for
    them before the checks run (the face sets its logging and language from them)."""
    from ..simulator.replay import ReplayMoodle

    token = "replay-" + Path(tempfile.mkdtemp()).name
    with ReplayMoodle(token) as moodle, tempfile.TemporaryDirectory() as tmp:
        settings = Settings.model_validate({"moodle": {"url": moodle.url, "completions_report_id": 2},
                                            "store": {"url": f"sqlite:///{tmp}/store.db"}})
        if use is not None:
            use(settings)
        engine = connect(settings.store.url)
        upgrade(engine)
        try:
            with MoodleClient(moodle.url, token) as client:
                return run_doctor(settings, client, engine)
        finally:
            engine.dispose()

"""Reminders of the day (``moodle-bridge remind`` and the pipeline's ``remind`` step): the schedule from the rules
file, the cadres' language, a dry run unless asked to send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from ..actions import ActionRow
from ..actions import remind as reminders
from ..config import Settings
from ..moodle import MoodleClient
from .rules_file import load_rules_to_evaluate


def remind(settings: Settings, engine: Engine, client: MoodleClient | None, today: date | None = None,
           dry_run: bool = True, should_stop: Callable[[], bool] = lambda: False,
           ) -> tuple[reminders.RemindPlan, list[ActionRow]]:
    """Plan the reminders due ``today`` (default: today in the organisation's zone) and log them; with dry_run
    False, send them, each batch recorded before the next, stopping between batches when ``should_stop()`` says so
    (the outcomes are then fewer than the plan's reminders). ``client`` may be None for a dry run only."""
    rules = load_rules_to_evaluate(settings).rules
    day = today or datetime.now(ZoneInfo(rules.organisation.timezone)).date()
    planned = reminders.plan(engine, day, rules.reminders, settings.language)
    return planned, reminders.apply(engine, client, planned, dry_run=dry_run, should_stop=should_stop)

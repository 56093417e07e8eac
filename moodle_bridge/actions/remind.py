"""Reminders on a schedule: before, on and after a requirement's due day, and at the period's milestones for hours
behind pace, each sent once, through Moodle messages (``notify.deliver_batches``: its batches, pauses and refusals).

``plan`` asks the read model for each cadre's requirements not met (``results.open_requirements``), the planner for
the reminders due on the day (``rules/reminder_plan.py``), and writes one message a cadre: what is missing, by when
and which open courses count. ``apply`` logs every message in the action log (action ``remind``: planned in a dry
run, done or failed with Moodle's answer) and keeps each reminder Moodle accepted in ``reminders_sent``, so that it
never goes out again; a failed one is tried again at the next run, within the catch-up days. Each batch is recorded
before the next is sent, and a stop request is honoured between batches.

The cadre's language: each message is written in the language the cadre has in Moodle (the mirror's
``mirror_users.lang``: ``zh_cn`` is Simplified Chinese) when moodle_bridge speaks it; a cadre whose language the mirror
does not know, or moodle_bridge does not speak, is written to in the rules' ``reminders.language``, else the
configuration's (the plan's ``language``).
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine, insert, select

from ..i18n import N_, _, current_language, day_words, translated
from ..moodle import MoodleClient
from ..results.open_requirements import open_requirements
from ..rules.kinds.base import course_names
from ..rules.reminder_plan import Key, Reminder, by_cadre, due_reminders
from ..rules.reminders import Reminders
from ..store.schema import action_log, reminders_sent
from . import ActionRow
from .notify import TEMPLATES, cadre_languages, deliver_batches, in_language

MOODLE, DEFAULT = "moodle", "default"  # where a message's language comes from: the cadre's in Moodle, the default
# What a reminder is about, by requirement kind (another kind: its flag's words are not a title; "your training").
WHAT = {"min_hours": N_("class hours of the year"), "min_online_hours": N_("online class hours of the year"),
        "required_courses": N_("required courses"), "required_reading": N_("required reading"),
        "window": N_("class hours of the five-year window"), "makeup": N_("make-up training")}


@dataclass(frozen=True)
class PlannedReminder:
    """One cadre's message of the day: the reminders it carries, its text, the language it is written in and where
    that comes from (``MOODLE``: the cadre's own; ``DEFAULT``: the organisation's)."""

    cadre_id: str
    user_id: int
    reminders: list[Reminder]
    text: str
    language: str
    language_source: str = DEFAULT


@dataclass(frozen=True)
class RemindPlan:
    """The day, the default language (for a cadre whose language Moodle does not give or moodle_bridge does not
    speak), and the messages."""

    day: date
    language: str
    messages: list[PlannedReminder]

    def languages(self) -> Counter[tuple[str, str]]:
        """How many messages are written in each language, by where it comes from: (source, language) -> n."""
        return Counter((m.language_source, m.language) for m in self.messages)


def _when(reminder: Reminder, today: date) -> str:
    due, days = day_words(reminder.requirement.due), abs(today.toordinal() - reminder.requirement.due.toordinal())
    if reminder.reason == "pace":
        return _("behind the pace of the year; due by {due}").format(due=due)
    if today < reminder.requirement.due:
        return _("due by {due}, in {days} days").format(due=due, days=days)
    if today == reminder.requirement.due:
        return _("due today, {due}").format(due=due)
    return _("was due by {due}, {days} days ago").format(due=due, days=days)


def _missing(reminder: Reminder) -> str:
    r = reminder.requirement
    if r.missing_courses:
        form = _("complete one of {courses}") if r.need_any and len(r.missing_courses) > 1 else _("complete {courses}")
        return form.format(courses=course_names(r.missing_courses))
    if r.missing_hours is not None:
        return (_("{missing:g} more online hours") if r.online else _("{missing:g} more hours")).format(
            missing=r.missing_hours)
    return _("see your training record")


def _counting(reminder: Reminder) -> str:
    courses = reminder.requirement.courses
    if not courses:
        return _("no course open in Moodle counts now: ask your organisation department")
    return _(", ").join(_("“{course}” ({hours:g} hours)").format(course=c.name, hours=c.hours)
                        if c.hours is not None else _("“{course}”").format(course=c.name) for c in courses)


def _text(name: str, reminders: list[Reminder], today: date) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    items = [{"what": translated(WHAT.get(r.requirement.kind, N_("your training"))), "when": _when(r, today),
              "missing": _missing(r), "courses": _counting(r)} for r in reminders]
    return env.get_template("remind_message.html.j2").render(
        greeting=_("Dear {name}, a reminder about your training:").format(name=name), items=items,
        missing_label=_("Still to do"), courses_label=_("Open courses that count"), colon=_(": "),
        closing=_("Your training record is in Moodle. Questions: your organisation department."))


def sent_keys(engine: Engine, since: date) -> set[Key]:
    """The reminders Moodle accepted for due days from ``since`` on."""
    with engine.connect() as connection:
        return {(r.cadre_id, r.rule, r.due, r.offset_days) for r in connection.execute(
            select(reminders_sent.c.cadre_id, reminders_sent.c.rule, reminders_sent.c.due,
                   reminders_sent.c.offset_days).where(reminders_sent.c.due >= since))}


def plan(engine: Engine, today: date, schedule: Reminders, language: str | None = None) -> RemindPlan:
    """The messages of ``today``: one a cadre with reminders due, in the cadre's Moodle language where moodle_bridge
    speaks it, else in ``schedule.language``, else ``language``, else the language labels are shown in now."""
    chosen = schedule.language or language or current_language()
    reach = schedule.reach()
    with engine.connect() as connection:
        found = open_requirements(connection, today, reach)
    sent = sent_keys(engine, date.fromordinal(today.toordinal() - reach[1]))
    due = by_cadre(due_reminders(today, found.requirements, schedule, sent))
    own = cadre_languages(engine, (mine[0].requirement.user_id for mine in due))
    messages = []
    for mine in due:
        first = mine[0].requirement
        language = own.get(first.user_id, chosen)
        text = in_language(language, functools.partial(_text, first.name, mine, today))
        messages.append(PlannedReminder(first.cadre_id, first.user_id, mine, text, language,
                                        MOODLE if first.user_id in own else DEFAULT))
    return RemindPlan(today, chosen, messages)


def target(reminder: Reminder) -> str:
    """The action log's target of a reminder: its key but the cadre."""
    r = reminder.requirement
    return f"remind:{r.rule}:{r.due.isoformat()}:{reminder.offset:+d}"[:128]


def apply(engine: Engine, client: MoodleClient | None, planned: RemindPlan, dry_run: bool, batch: int = 20,
          pause: float = 1.0, sleep: Callable[[float], None] = time.sleep,
          should_stop: Callable[[], bool] = lambda: False) -> list[ActionRow]:
    """Log every reminder; with dry_run False, send the messages and keep those Moodle accepted as sent.

    Each batch is recorded (its log entries and what Moodle accepted, in one transaction) before the next is sent:
    a run killed or failing part-way has kept what Moodle accepted, and the next run does not send it again. When
    ``should_stop()`` (the pipeline's stop request or its deadline) says so between batches, the rest are left for the
    next run; the outcomes returned are then fewer than the plan's reminders. ``client`` may be None for a dry run
    only."""
    now = datetime.now(UTC)
    outcomes: list[ActionRow] = []
    messages = planned.messages
    batches = deliver_batches(client, [(m.user_id, m.text, f"mb-remind-{m.cadre_id}-{planned.day.isoformat()}")
                                       for m in messages], dry_run, batch, pause, sleep)
    for index, answers in enumerate(batches):
        rows, accepted = _rows(planned.day, messages[index * batch:(index + 1) * batch], answers, dry_run, now)
        _record(engine, rows, accepted)
        outcomes.extend(rows)
        if should_stop():
            break  # the next batch is not sent: the generator sends only when asked
    return outcomes


def _rows(day: date, messages: list[PlannedReminder], answers: list[tuple[str, dict[str, Any]]], dry_run: bool,
          now: datetime) -> tuple[list[ActionRow], list[dict[str, Any]]]:
    """A batch's action log entries (one a reminder) and the reminders Moodle accepted."""
    rows: list[ActionRow] = []
    accepted: list[dict[str, Any]] = []
    for message, (status, detail) in zip(messages, answers, strict=True):
        for reminder in message.reminders:
            r = reminder.requirement
            rows.append({"action": "remind", "cadre_id": message.cadre_id, "user_id": message.user_id,
                         "target": target(reminder), "status": status, "dry_run": dry_run,
                         "detail": {**detail, "day": day.isoformat(), "reason": reminder.reason,
                                    "requirement": r.path or r.rule, "language": message.language,
                                    "language_source": message.language_source}, "created_at": now})
            if status == "done":
                accepted.append({"cadre_id": r.cadre_id, "rule": r.rule, "due": r.due, "offset_days": reminder.offset,
                                 "reason": reminder.reason, "sent_at": now})
    return rows, accepted


def _record(engine: Engine, rows: list[ActionRow], accepted: list[dict[str, Any]]) -> None:
    """One batch's log entries and what was sent, at once."""
    if rows:
        with engine.begin() as connection:
            connection.execute(insert(action_log), rows)
            if accepted:
                connection.execute(insert(reminders_sent), accepted)

"""Which reminders are due on a day (pure): from each cadre's open requirements, the schedule and those already sent.

A requirement not met has a due day. Its schedule (``rules/reminders.py``) puts reminders on days counted from it
(30 and 7 days before, on the day, 7 days after); a requirement of hours behind pace is also reminded at the
period's milestones (as each quarter ends: 1 April, 1 July and 1 October of a calendar year). Each reminder has a
key, (cadre, requirement, due day, offset in days from the due day), and goes out once. The requirement in the key is
its stable id (``requirement_id``: its kind and a hash of what it asks), not its place in the rules file, so a
requirement added above another leaves the other's reminders as they were:

- on its day, or up to ``catch_up_days`` later when no run saw its day; of a requirement's reminders whose days
  have come, only the latest (an older one is stale once a newer is due), and one a requirement a day;
- never once the requirement is met (it is no longer open);
- a due day that moves gives new keys: the new day's reminders go out as their days come.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from datetime import date
from typing import Literal

from .kinds.base import RequirementModel
from .periods import add_months
from .reminders import PACE_MONTHS, Reminders

Reason = Literal["before", "due", "after", "pace"]
Key = tuple[str, str, date, int]  # cadre id, requirement (its stable id), due day, days from the due day


def requirement_id(requirement: RequirementModel) -> str:
    """A requirement's stable id: its kind and a hash of what it asks (its course selection, hours, ...), its due day
    aside (the key holds it). The same wherever the requirement stands in the rules file, and in whichever group."""
    asks = requirement.model_dump(mode="json", exclude={"due"})
    digest = hashlib.sha256(json.dumps(asks, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    return f"{requirement.kind}:{digest}"


@dataclass(frozen=True)
class OpenCourse:
    """A course open in Moodle that would count, with the hours it earns (None: not said)."""

    name: str
    hours: float | None = None


@dataclass(frozen=True)
class OpenRequirement:
    """One requirement a cadre has not met, as the latest evaluation and the mirror show it.

    ``missing_courses``: the courses still to complete (a course list); ``missing_hours``: the hours short (an hours
    requirement); ``need_any``: one of the missing courses is enough; ``courses``: open courses that would count;
    ``behind_pace``: hours behind the period's pace (flagged at risk); ``start``: the first day of the span the
    requirement's pace runs over (its period), for milestones; ``rule``: the requirement's stable id
    (``requirement_id``); ``path``: where the rules file has it (groups.<group>.requirements[<n>]), for the log."""

    cadre_id: str
    user_id: int
    name: str
    rule: str
    kind: str
    group: str
    due: date
    missing_courses: tuple[str, ...] = ()
    missing_hours: float | None = None
    need_any: bool = False
    courses: tuple[OpenCourse, ...] = ()
    behind_pace: bool = False
    start: date | None = None
    online: bool = False  # the hours are online hours
    path: str = ""


@dataclass(frozen=True)
class Reminder:
    """A reminder due: the requirement, on which scheduled day, why."""

    requirement: OpenRequirement
    offset: int  # days from the due day (negative: before)
    reason: Reason

    @property
    def day(self) -> date:
        """The day the schedule puts it on."""
        return date.fromordinal(self.requirement.due.toordinal() + self.offset)

    @property
    def key(self) -> Key:
        r = self.requirement
        return (r.cadre_id, r.rule, r.due, self.offset)


def milestones(start: date, due: date, months: int) -> list[date]:
    """The milestones of a span: every ``months`` from its start (the day after each quarter, say), before the due
    day."""
    found, step = [], 1
    while (day := add_months(start, months * step)) < due:
        found.append(day)
        step += 1
    return found


def scheduled(requirement: OpenRequirement, reminders: Reminders) -> dict[int, Reason]:
    """Every reminder the schedule gives a requirement, by offset from its due day."""
    offsets: dict[int, Reason] = {}
    months = PACE_MONTHS.get(reminders.pace)
    if requirement.behind_pace and months and requirement.start is not None:
        for day in milestones(requirement.start, requirement.due, months):
            offsets[day.toordinal() - requirement.due.toordinal()] = "pace"
    for offset in reminders.schedule(requirement.kind).offsets():  # a scheduled day wins over a milestone's
        offsets[offset] = "before" if offset < 0 else "due" if offset == 0 else "after"
    return offsets


def due_reminders(today: date, open_requirements: Iterable[OpenRequirement], reminders: Reminders,
                  sent: Set[Key]) -> list[Reminder]:
    """The reminders to send ``today``: for each open requirement, the latest whose day has come (at most
    ``catch_up_days`` ago), unless sent; in the order given."""
    due: list[Reminder] = []
    seen: set[tuple[str, str, date]] = set()
    for requirement in open_requirements:
        if (requirement.cadre_id, requirement.rule, requirement.due) in seen:  # one a requirement a day
            continue
        offsets = scheduled(requirement, reminders)
        came = [o for o in offsets if requirement.due.toordinal() + o <= today.toordinal()]
        if not came:
            continue
        latest = max(came)
        reminder = Reminder(requirement, latest, offsets[latest])
        if today.toordinal() - reminder.day.toordinal() > reminders.catch_up_days or reminder.key in sent:
            continue
        seen.add((requirement.cadre_id, requirement.rule, requirement.due))
        due.append(reminder)
    return due


def by_cadre(reminders: Sequence[Reminder]) -> list[list[Reminder]]:
    """The reminders grouped by cadre (one message each), in the order first met."""
    groups: dict[str, list[Reminder]] = {}
    for reminder in reminders:
        groups.setdefault(reminder.requirement.cadre_id, []).append(reminder)
    return list(groups.values())

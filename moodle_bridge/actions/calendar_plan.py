"""What to do in Moodle's calendars: the events wanted against the events kept, pure (no store, no Moodle).

An event is known by its key: the course whose calendar holds it, and the rules group and kind (required courses
or required reading) whose requirement names that course. One event a key, ever: a wanted event with no kept one
is created; a kept one whose due date or words changed is updated (its due date moved, or its text); a kept one no
longer wanted is deleted, because every cadre concerned met the requirement (``met``) or the requirement was lifted
(``lifted``: gone from the rules, due in another period, the course gone from Moodle, no cadre in the group).
A kept row still pending (``event_id`` 0: the create was asked, its outcome unknown) is created again while wanted
(``unconfirmed``), else forgotten; it is never compared or deleted in Moodle, having no event id.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal


@dataclass(frozen=True, order=True)
class EventKey:
    course_id: int
    group: str
    kind: str  # required_courses or required_reading

    @property
    def target(self) -> str:
        """How the action log names it."""
        return f"calendar:{self.course_id}:{self.group}:{self.kind}"


@dataclass(frozen=True)
class WantedEvent:
    """An event some cadres need: the course's due day, in the words they read."""

    key: EventKey
    rule: str  # groups.<group>.requirements[<i>]: the path the evaluation writes
    due: date
    timestart: int  # Unix seconds: 23:59 of the due day, the organisation's time
    name: str
    description: str
    cadres: int  # cadres of the group who still owe the requirement by this course


@dataclass(frozen=True)
class KeptEvent:
    """An event moodle_bridge created in Moodle and keeps in the store."""

    key: EventKey
    event_id: int
    due: date
    timestart: int
    name: str
    description: str

    @property
    def pending(self) -> bool:
        """Moodle was asked to create it and did not say it had (Moodle's event ids start at 1)."""
        return self.event_id == 0


Op = Literal["create", "update", "delete"]
Why = Literal["owed", "moved", "reworded", "met", "lifted", "duplicate", "unconfirmed"]


@dataclass(frozen=True)
class Step:
    op: Op
    key: EventKey
    why: Why
    wanted: WantedEvent | None = None  # create, update
    kept: KeptEvent | None = None  # update, delete


def plan(wanted: Iterable[WantedEvent], kept: Iterable[KeptEvent], met: Collection[EventKey] = ()) -> list[Step]:
    """The steps that make Moodle hold exactly the wanted events, in key order.

    ``met``: keys whose requirement still stands but that no cadre owes any more (a kept event of such a key is
    deleted as met, any other as lifted). Two wanted events of one key are a mistake of the caller; two kept ones
    (the store forbids it) would leave the later as a duplicate to delete."""
    want: dict[EventKey, WantedEvent] = {}
    for one in wanted:
        if one.key in want:
            raise ValueError(f"two events wanted for {one.key.target}")
        want[one.key] = one
    have: dict[EventKey, KeptEvent] = {}
    steps: list[Step] = []
    for event in sorted(kept, key=lambda e: (e.key, e.event_id)):
        if event.key in have:
            steps.append(Step("delete", event.key, "duplicate", kept=event))
        else:
            have[event.key] = event
    for key in sorted(set(want) | set(have)):
        w, k = want.get(key), have.get(key)
        if w is not None and k is None:
            steps.append(Step("create", key, "owed", wanted=w))
        elif w is None and k is not None:
            steps.append(Step("delete", key, "met" if key in met else "lifted", kept=k))
        elif w is not None and k is not None:
            if k.pending:
                steps.append(Step("create", key, "unconfirmed", wanted=w, kept=k))
            elif w.timestart != k.timestart or w.due != k.due:
                steps.append(Step("update", key, "moved", wanted=w, kept=k))
            elif w.name != k.name or w.description != k.description:
                steps.append(Step("update", key, "reworded", wanted=w, kept=k))
    return sorted(steps, key=lambda s: (s.key, s.op != "delete"))

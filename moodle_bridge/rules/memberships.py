"""Which unit a cadre belonged to on a day (pure).

A cadre's unit has a history: the transfers file staff keep says who moved where from which day, and every
evaluation notes the unit Moodle shows (from the day it first sees it there). On a day, the transfers file comes
first, then what Moodle showed on that day, then what Moodle shows now. An evaluation as of a day counts each cadre
in that day's unit, so a cadre who moved in June counts in the old unit before and in the new one after.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Source = Literal["moodle", "file"]


@dataclass(frozen=True)
class Spell:
    """A stretch of a cadre's membership of a unit, ``start`` to ``end`` (the last day; None: open on that side)."""

    unit_code: str
    start: date | None
    end: date | None
    source: Source

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


def from_transfers(moves: Iterable[tuple[str, date]]) -> list[Spell]:
    """A cadre's moves (unit, from day) as spells, each until the day before the next."""
    ordered = sorted(moves, key=lambda move: move[1])
    return [Spell(unit, start, ordered[n + 1][1] - timedelta(days=1) if n + 1 < len(ordered) else None, "file")
            for n, (unit, start) in enumerate(ordered)]


def unit_on(day: date, spells: Sequence[Spell], now: str) -> str:
    """The cadre's unit on ``day``: the transfers file's, else the one Moodle showed that day, else ``now`` (the
    one Moodle shows)."""
    for source in ("file", "moodle"):
        for spell in spells:
            if spell.source == source and spell.covers(day):
                return spell.unit_code
    return now


def next_change(day: date, spells: Sequence[Spell]) -> date | None:
    """The first day after ``day`` on which the transfers file moves the cadre: their result holds no longer then."""
    later = [s.start for s in spells if s.source == "file" and s.start is not None and s.start > day]
    return min(later) if later else None


@dataclass(frozen=True)
class Sighting:
    """What an evaluation as of ``day`` changes in a cadre's Moodle history, having seen them in ``unit``."""

    close: bool  # the open spell ends the day before
    open_from: date | None  # a spell of ``unit`` opens (None: since ever, the first sighting)
    opens: bool


def sighting(day: date, spells: Sequence[Spell], unit: str) -> Sighting:
    """Moodle shows the cadre in ``unit`` as of ``day``: a first sighting opens a spell since ever; a move opens one
    from ``day`` and closes the one before; the same unit, or a day before the open spell's start (an evaluation
    of an earlier day), changes nothing."""
    seen = [s for s in spells if s.source == "moodle"]
    current = next((s for s in seen if s.end is None), None)
    if current is None:
        return Sighting(False, None, not seen)
    if current.unit_code == unit or (current.start is not None and day <= current.start):
        return Sighting(False, None, False)
    return Sighting(True, day, True)

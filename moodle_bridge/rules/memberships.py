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


def chosen(day: date, spells: Sequence[Spell]) -> Spell | None:
    """The spell that says the cadre's unit on ``day`` (None: nothing recorded says; Moodle's unit now counts).

    - A move Moodle showed after the transfers file's last move takes over from the day it was seen: the file's
      last move lasts until Moodle shows another.
    - Else the transfers file's move of the day.
    - Else what Moodle showed that day; but before the file's first move, Moodle's move into that same unit is
      the file's to date: until then, the unit Moodle showed before it.
    """
    moves = [s for s in spells if s.source == "file"]
    seen = [s for s in spells if s.source == "moodle"]
    first = min(moves, key=lambda s: s.start or date.min, default=None)
    last = max((s.start for s in moves if s.start is not None), default=None)
    for spell in seen:
        if last is not None and spell.start is not None and spell.start > last and spell.covers(day):
            return spell
    for spell in moves:
        if spell.covers(day):
            return spell
    for spell in seen:
        if not spell.covers(day):
            continue
        if first is not None and first.start is not None and spell.unit_code == first.unit_code and (
                spell.start is None or spell.start < first.start):
            before = [s for s in seen if s.end is not None and spell.start is not None and s.end < spell.start]
            return max(before, key=lambda s: s.end or date.min) if before else spell
        return spell
    return None


def unit_on(day: date, spells: Sequence[Spell], now: str) -> str:
    """The cadre's unit on ``day`` (``chosen``), else ``now`` (the one Moodle shows)."""
    spell = chosen(day, spells)
    return now if spell is None else spell.unit_code


def timeline(spells: Sequence[Spell], now: str) -> list[Spell]:
    """The cadre's units through time as ``unit_on`` reads them, earliest first, each stretch once (its source:
    the spell that said it; "moodle" for ``now``)."""
    days = sorted({s.start for s in spells if s.start is not None} |
                  {s.end + timedelta(days=1) for s in spells if s.end is not None})
    if not days:
        return [Spell(unit_on(date.min, spells, now), None, None, _source(chosen(date.min, spells)))]
    starts: list[date | None] = [None, *days]
    answer: list[Spell] = []
    for n, start in enumerate(starts):
        end = days[n] - timedelta(days=1) if n < len(days) else None
        asked = start if start is not None else days[0] - timedelta(days=1)
        spell = Spell(unit_on(asked, spells, now), start, end, _source(chosen(asked, spells)))
        if answer and answer[-1].unit_code == spell.unit_code:
            answer[-1] = Spell(spell.unit_code, answer[-1].start, end, answer[-1].source)
        else:
            answer.append(spell)
    return answer


def _source(spell: Spell | None) -> Source:
    return "moodle" if spell is None else spell.source


def next_change(day: date, spells: Sequence[Spell]) -> date | None:
    """The first day after ``day`` on which the transfers file moves the cadre: their result holds no longer then."""
    later = [s.start for s in spells if s.source == "file" and s.start is not None and s.start > day]
    return min(later) if later else None


@dataclass(frozen=True)
class Sighting:
    """What an evaluation changes in a cadre's Moodle history, having seen them in ``unit``."""

    close: bool  # the open spell ends the day before
    open_from: date | None  # a spell of ``unit`` opens (None: since ever, the first sighting)
    opens: bool
    rekey: bool = False  # the open spell is ``unit``'s: the cadre did not move, what names their unit did


def sighting(day: date, spells: Sequence[Spell], unit: str, renamed: bool = False) -> Sighting:
    """Moodle shows the cadre in ``unit`` as of ``day`` (an evaluation not of an earlier day than any before): a
    first sighting opens a spell since ever; a move opens one from ``day`` and closes the one before. ``renamed``:
    what decides a cadre's unit changed since the last evaluation (the unit tree or where units come from), so a
    different unit is the same membership under another name, not a move."""
    seen = [s for s in spells if s.source == "moodle"]
    current = next((s for s in seen if s.end is None), None)
    if current is None:
        return Sighting(False, None, not seen)
    if current.unit_code == unit or (current.start is not None and day <= current.start):
        return Sighting(False, None, False)
    if renamed:
        return Sighting(False, None, False, rekey=True)
    return Sighting(True, day, True)

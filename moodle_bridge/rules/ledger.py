"""Posting to the append-only credit ledger (pure).

For every (cadre, source, period) the rules give hours; the ledger holds entries whose sum is what
was posted so far. Where they differ, post a reversal of what stands and a new entry: nothing is
ever edited or deleted, and posting the same credits twice posts nothing. In a closed period
nothing is posted: the difference is reported for staff to accept or reject.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from .facts import Credit

MANAGED = ("completion:", "offline:", "carryover:")  # sources the rules own; adjustments are staff's own entries
EPSILON = 0.005  # hours: below this, two amounts are the same


@dataclass(frozen=True)
class Standing:
    """What the ledger holds for one (cadre, source, period): the sum, and the latest credit's facts."""

    hours: float
    online: bool
    earned_at: int


@dataclass(frozen=True)
class Entry:
    cadre_id: str
    source: str
    period: str
    hours: float
    online: bool
    earned_at: int
    kind: str  # credit, reversal, adjustment
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Difference:
    """A change the rules or Moodle would make to a closed period."""

    period: str
    cadre_id: str
    source: str
    certified_hours: float
    new_hours: float
    new_online: bool = False
    new_earned_at: int = 0


Key = tuple[str, str, str]  # cadre, source, period


class NotFinite(ValueError):
    """An amount that is infinite or not a number would be posted: the append-only ledger refuses it (a total
    with one in it could never be repaired)."""

    def __init__(self, entry: Entry) -> None:
        self.entry = entry
        super().__init__(f"{entry.hours} hours for cadre {entry.cadre_id} from {entry.source} in {entry.period} is "
                         "not a finite number: nothing was posted; correct or withdraw its source and try again")


def _posted(entry: Entry) -> Entry:
    """``entry``, if its amount is finite: the last guard every posting passes."""
    if not math.isfinite(entry.hours):
        raise NotFinite(entry)
    return entry


def postings(desired: Iterable[Credit], standing: dict[Key, Standing], closed: Set[str] = frozenset(),
             period: str | None = None) -> tuple[list[Entry], list[Difference]]:
    """``period``: the period evaluated. A carry-over belongs to the period it was credited in: only
    that period's evaluation may change it (evaluating 2027 leaves 2026's carry-over alone)."""
    wanted = {(c.cadre_id, c.source, c.period): c for c in desired}
    entries: list[Entry] = []
    differences: list[Difference] = []
    keys = set(wanted) | {k for k in standing if k[1].startswith(MANAGED)
                          and not (k[1].startswith("carryover:") and period is not None and k[2] != period)}
    for key in sorted(keys):
        cadre_id, source, key_period = key
        want, have = wanted.get(key), standing.get(key)
        want_hours = round(want.hours, 4) if want else 0.0
        have_hours = have.hours if have else 0.0
        if want is not None and not math.isfinite(want_hours):  # neither posted nor reported as a difference
            raise NotFinite(Entry(cadre_id, source, key_period, want_hours, want.online, want.at, "credit"))
        if _same(want, have):
            continue
        if key_period in closed:
            differences.append(Difference(key_period, cadre_id, source, round(have_hours, 2), round(want_hours, 2),
                                          want.online if want else (have.online if have else False),
                                          want.at if want else (have.earned_at if have else 0)))
            continue
        if have is not None and abs(have_hours) >= EPSILON:
            reason = "source gone" if want is None else "value changed"
            entries.append(_posted(Entry(cadre_id, source, key_period, -have_hours, have.online, have.earned_at,
                                         "reversal", reason)))
        if want is not None and abs(want_hours) >= EPSILON:
            entries.append(_posted(Entry(cadre_id, source, key_period, want_hours, want.online, want.at, "credit",
                                         detail=want.detail)))
    return entries, differences


def _same(want: Credit | None, have: Standing | None) -> bool:
    if want is None:
        return have is None or abs(have.hours) < EPSILON
    if have is None:
        return abs(want.hours) < EPSILON
    return abs(want.hours - have.hours) < EPSILON and want.online == have.online and want.at == have.earned_at


def standing_of(entries: Iterable[Entry]) -> dict[Key, Standing]:
    """Fold ledger entries into what stands per (cadre, source, period). An entry that is not a finite number
    (posted by an older version) stands for nothing: counted, it would make the total infinite or NaN for ever."""
    result: dict[Key, Standing] = {}
    for entry in entries:
        if not math.isfinite(entry.hours):
            continue
        key = (entry.cadre_id, entry.source, entry.period)
        before = result.get(key)
        hours = (before.hours if before else 0.0) + entry.hours
        if entry.kind != "reversal" or before is None:
            result[key] = Standing(round(hours, 4), entry.online, entry.earned_at)
        else:
            result[key] = Standing(round(hours, 4), before.online, before.earned_at)
    return result


def credits_of(entries: Iterable[Entry]) -> dict[str, list[Credit]]:
    """What the ledger credits each cadre, per source and period (adjustments included)."""
    result: dict[str, list[Credit]] = {}
    for (cadre_id, source, label), stand in standing_of(entries).items():
        if abs(stand.hours) >= EPSILON:
            result.setdefault(cadre_id, []).append(
                Credit(source, cadre_id, label, stand.hours, stand.online, stand.earned_at))
    return result


def adjustment(number: int, cadre_id: str, hours: float, reason: str, label: str, online: bool,
               period_start: int) -> Entry:
    """Staff's own entry: the ``number``-th adjustment (numbered from 1: the ledger's adjustments so far + 1),
    earned at the start of the period it counts in."""
    return _posted(Entry(cadre_id, f"adjustment:{number}", label, hours, online, period_start, "adjustment", reason))


def accepted(difference_id: int, difference: Difference, entries: Sequence[Entry]) -> list[Entry]:
    """The entries that bring what stands for a closed period's source (``entries``, in the order written)
    to the value of an accepted difference, whatever was accepted before for that source."""
    standing = round(sum(e.hours for e in entries if math.isfinite(e.hours)), 4)
    latest = next((e for e in reversed(entries) if e.kind != "reversal"), None)
    reason = f"post-closing difference {difference_id} accepted"
    d = difference
    posts = []
    if abs(standing) >= EPSILON:
        posts.append(_posted(Entry(d.cadre_id, d.source, d.period, -standing, latest.online if latest else False,
                                   latest.earned_at if latest else 0, "reversal", reason)))
    if abs(d.new_hours) >= EPSILON or not math.isfinite(d.new_hours):
        posts.append(_posted(Entry(d.cadre_id, d.source, d.period, d.new_hours, d.new_online, d.new_earned_at,
                                   "credit", reason)))
    return posts

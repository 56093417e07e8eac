"""What each unit adds up to in an evaluation, kept with it (``schema.unit_tallies``, migration 0014).

A unit's tally is the sum of its results' contributions (``Contribution``): cadres by status, their hours and flags
(the suspended apart), flagged cadres, flags by kind, flagged cadres by kind and by group. An evaluation that judges
some cadres again takes the tallies it holds, subtracts the results it replaces, adds those it writes, and rewrites
the units that changed; the others' rows hold on, as results do (``held.py``). Hours are summed in millionths, as
integers: a tally carried through a thousand evaluations equals one counted from scratch, to the unit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select, update

from .batches import where_in
from .bulk import insert_rows
from .schema import OPEN, evaluation_flags, evaluation_results, unit_tallies

SUSPENDED = "suspended"


@dataclass(frozen=True)
class Contribution:
    """What one result adds to its unit's tally: its status, hours and flags (kind, group)."""

    unit_code: str
    unit_name: str
    status: str
    hours: float
    flags: Sequence[tuple[str, str]] = ()


def millionths(hours: float) -> int:
    return round(hours * 1_000_000)


@dataclass
class UnitTally:
    name: str = ""
    counts: Counter[str] = field(default_factory=Counter)
    hours_millionths: int = 0  # the suspended apart
    flags: int = 0  # the suspended apart
    flagged: int = 0
    flag_kinds: Counter[str] = field(default_factory=Counter)
    flagged_kinds: Counter[str] = field(default_factory=Counter)
    flagged_groups: Counter[str] = field(default_factory=Counter)

    def add(self, result: Contribution, sign: int = 1) -> None:
        """Add a result (``sign`` -1: take it away). A result added names the unit."""
        if sign > 0:
            self.name = result.unit_name
        self.counts[result.status] += sign
        if result.status != SUSPENDED:
            self.hours_millionths += sign * millionths(result.hours)
            self.flags += sign * len(result.flags)
        if result.flags:
            self.flagged += sign
        for kind, _group in result.flags:
            self.flag_kinds[kind] += sign
        for kind in {kind for kind, _group in result.flags}:
            self.flagged_kinds[kind] += sign
        for group in {group for _kind, group in result.flags}:
            self.flagged_groups[group] += sign

    def merge(self, other: UnitTally) -> None:
        """Add another tally's figures (a unit's changes, the county's total from its units'); the name stays."""
        self.counts.update(other.counts)
        self.hours_millionths += other.hours_millionths
        self.flags += other.flags
        self.flagged += other.flagged
        for mine, theirs in ((self.flag_kinds, other.flag_kinds), (self.flagged_kinds, other.flagged_kinds),
                             (self.flagged_groups, other.flagged_groups)):
            mine.update(theirs)

    @property
    def cadres(self) -> int:
        return sum(self.counts.values())

    @property
    def hours(self) -> float:
        return self.hours_millionths / 1_000_000

    @classmethod
    def from_row(cls, row: Any) -> UnitTally:
        return cls(row.unit_name, Counter(row.counts), row.hours_millionths, row.flags, row.flagged,
                   Counter(row.flag_kinds), Counter(row.flagged_kinds), Counter(row.flagged_groups))


def _nonzero(counter: Mapping[str, int]) -> dict[str, int]:
    return {key: n for key, n in sorted(counter.items()) if n}


def tally(results: Iterable[Contribution]) -> dict[str, UnitTally]:
    """The tallies of these results, by unit code."""
    tallies: dict[str, UnitTally] = {}
    for result in results:
        tallies.setdefault(result.unit_code, UnitTally()).add(result)
    return tallies


def held_contributions(connection: Connection, label: str, cadre_ids: Iterable[str] | None) -> list[Contribution]:
    """The contributions of the period's results that still hold, of these cadres (every cadre's, when None): what
    an evaluation that judges them again takes away from their units."""
    found = []
    for only in where_in(evaluation_results.c.cadre_id, cadre_ids):
        rows = connection.execute(select(
            evaluation_results.c.cadre_id, evaluation_results.c.unit_code, evaluation_results.c.unit_name,
            evaluation_results.c.status, evaluation_results.c.hours_online, evaluation_results.c.hours_offline,
            evaluation_results.c.flags).where(
                evaluation_results.c.period == label, evaluation_results.c.until_evaluation == OPEN, *only)).all()
        flagged = [r.cadre_id for r in rows if r.flags]
        flags: dict[str, list[tuple[str, str]]] = {}
        for batch in where_in(evaluation_flags.c.cadre_id, None if cadre_ids is None else flagged):
            for f in connection.execute(select(evaluation_flags.c.cadre_id, evaluation_flags.c.kind,
                                               evaluation_flags.c.group_name).where(
                    evaluation_flags.c.period == label, evaluation_flags.c.until_evaluation == OPEN, *batch)):
                flags.setdefault(f.cadre_id, []).append((f.kind, f.group_name))
        found += [Contribution(r.unit_code, r.unit_name, r.status, r.hours_online + r.hours_offline,
                               flags.get(r.cadre_id, ())) for r in rows]
    return found


def held_tallies(connection: Connection, label: str, unit_codes: Iterable[str] | None = None) -> dict[str, UnitTally]:
    """The period's tallies that still hold (of these units, every unit's when None)."""
    found: dict[str, UnitTally] = {}
    for only in where_in(unit_tallies.c.unit_code, unit_codes):
        found.update((r.unit_code, UnitTally.from_row(r)) for r in connection.execute(select(unit_tallies).where(
            unit_tallies.c.period == label, unit_tallies.c.until_evaluation == OPEN, *only)))
    return found


def write_tallies(connection: Connection, evaluation_id: int, label: str, tallies: Mapping[str, UnitTally],
                  replacing: Iterable[str] | None) -> None:
    """The units' tallies as of ``evaluation_id``: those of ``replacing`` (every unit, when None) that hold end with
    it; the units in ``tallies`` with a cadre left hold from it on."""
    for only in where_in(unit_tallies.c.unit_code, replacing):
        connection.execute(update(unit_tallies).where(
            unit_tallies.c.period == label, unit_tallies.c.until_evaluation == OPEN, *only)
            .values(until_evaluation=evaluation_id))
    rows = [{"since_evaluation": evaluation_id, "until_evaluation": OPEN, "period": label, "unit_code": code,
             "unit_name": t.name, "counts": _nonzero(t.counts), "hours_millionths": t.hours_millionths,
             "flags": t.flags, "flagged": t.flagged, "flag_kinds": _nonzero(t.flag_kinds),
             "flagged_kinds": _nonzero(t.flagged_kinds), "flagged_groups": _nonzero(t.flagged_groups)}
            for code, t in sorted(tallies.items()) if t.cadres]
    if rows:
        insert_rows(connection, unit_tallies, rows)

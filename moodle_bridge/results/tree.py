"""The unit tree an evaluation used, its figures rolled up along it, and a reviewer's units as the subtrees they
stand for.

A unit's rolled-up tally is its own cadres' with every unit's below it: a township's rate includes its offices'.
The total is the sum of the units' own tallies, so that no cadre counts twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Connection

from ..rules.memberships import Spell, timeline
from ..rules.units import FLAT, UnitTree
from ..store import units as store
from ..store.unit_tallies import UnitTally
from ._memo import evaluation_key, remembered
from .answers import UnitSpell
from .evaluations import evaluation
from .scope import Scope


def unit_tree(connection: Connection, evaluation_id: int) -> UnitTree:
    """The tree an evaluation's figures roll up along (flat: every unit a top unit)."""
    key = evaluation_key(connection, "unit tree", evaluation_id)
    return remembered(connection, key, lambda: UnitTree.from_rows(store.tree_rows(connection, evaluation_id)))


def latest_tree(connection: Connection) -> UnitTree:
    """The tree of the latest evaluation: the one reviewers' units are read against."""
    found = evaluation(connection)
    return FLAT if found is None else unit_tree(connection, found.id)


def reach(connection: Connection, units: Iterable[str]) -> tuple[str, ...]:
    """A reviewer's units with every unit below them (in the latest evaluation's tree), their own first."""
    given = tuple(units)
    tree = latest_tree(connection)
    below = tree.subtrees(given) - set(given) if tree else set()
    return given + tuple(sorted(below))


def units_below(connection: Connection, evaluation_id: int, unit: str) -> list[str] | None:
    """A unit (its code or its name) and every unit below it in the evaluation's tree; None when the tree does not
    know it (flat units: the unit alone)."""
    tree = unit_tree(connection, evaluation_id)
    codes = [u.code for u in tree.units.values() if unit in (u.code, u.name)]
    return sorted(tree.subtrees(codes)) if codes else None


def rolled_up(own: Mapping[str, UnitTally], tree: UnitTree, units: Scope = None) -> dict[str, UnitTally]:
    """Each unit's tally with those of every unit below it, for the units with cadres and those above them (within
    the scope: a reviewer's township, not the county above it)."""
    if not tree:
        return dict(own)
    rolled: dict[str, UnitTally] = {}
    allowed = None if units is None else set(units)
    for code, tally in own.items():
        for above in tree.path(code):
            if allowed is not None and above not in allowed:
                continue
            rolled.setdefault(above, UnitTally(tree.name(above) or tally.name)).merge(tally)
    return rolled


def in_tree_order(codes: Iterable[str], tree: UnitTree) -> list[tuple[str, str | None, int]]:
    """(code, parent, depth) of the codes, each unit followed by the units below it; the parent and the depth
    among the codes given (a reviewer's township is a top unit of their table)."""
    given = set(codes)
    answer = []
    for code in tree.ordered(given):
        if code not in given:
            continue
        shown_above = [c for c in tree.path(code)[:-1] if c in given]
        answer.append((code, shown_above[-1] if shown_above else None, len(shown_above)))
    return answer


def unit_history(connection: Connection, cadre_id: str, evaluation_id: int) -> list[UnitSpell]:
    """The units a cadre belonged to, earliest first, as evaluations count them (``rules.memberships.timeline``);
    each unit named by the evaluation's tree, else its cohort, else its code. Empty with fewer than two: there is
    no history to tell."""
    rows = store.memberships(connection, [cadre_id]).get(cadre_id, [])
    if len(rows) < 2:
        return []
    spells = [Spell(r.unit_code, r.valid_from, r.valid_to, "file" if r.source == "file" else "moodle") for r in rows]
    now = next((r.unit_code for r in rows if r.source == "moodle" and r.valid_to is None), rows[-1].unit_code)
    history = timeline(spells, now)
    tree = unit_tree(connection, evaluation_id)
    cohorts = store.cohort_names(connection, {s.unit_code for s in history if tree.name(s.unit_code) is None})
    return [UnitSpell(s.unit_code, tree.name(s.unit_code) or cohorts.get(s.unit_code, s.unit_code), s.start, s.end,
                      s.source == "file") for s in history]

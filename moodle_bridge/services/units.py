"""The unit tree and the units cadres belong to: build the tree from the source the rules name, import the units
file and the transfers file, and place each cadre of an evaluation in their unit on its as-of day. The decisions
are the rules' (``rules/units.py``, ``rules/unit_files.py``, ``rules/memberships.py``); this module moves rows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine

from ..reports import export
from ..rules.facts import CadreFacts
from ..rules.memberships import Sighting, Spell, from_transfers, next_change, sighting, unit_on
from ..rules.offline import ImportError_
from ..rules.sections import Cadres
from ..rules.unit_files import Transfer, transfer_rows, unit_rows
from ..rules.units import FLAT, UnitTree, from_code_prefix, from_cohort_field, from_paths
from ..store import units as store
from .offline import mirror_cadre_ids, read_table

__all__ = ["ImportError_", "Placed", "clear_transfers", "current_tree", "import_transfers", "import_units_file",
           "place", "placing_key", "read_transfers", "read_units_file", "spells", "write_template"]


def current_tree(connection: Connection, spec: Cadres) -> UnitTree:
    """The unit tree as its source (the rules' ``cadres.unit.tree``) holds it now; flat without one."""
    tree = spec.unit.tree
    if tree.source == "cohort_field":
        return from_cohort_field(store.live_cohorts(connection), tree.field)
    if tree.source == "code_prefix":
        return from_code_prefix(((code, name) for code, name, _custom in store.live_cohorts(connection)),
                                tree.parts_separator)
    if tree.source == "profile_path":
        return from_paths(store.profile_values(connection, spec.unit.field), tree.parts_separator)
    if tree.source == "file":
        return UnitTree.from_rows(store.units_file_rows(connection))
    return FLAT


def write_template(output: Path, title: str, header: list[str]) -> None:
    """An empty units or transfers file (CSV with a BOM, or .xlsx) with the columns its import reads."""
    export.write([export.Sheet(title, header)], output)


def read_units_file(path: Path) -> UnitTree:
    """The tree a units file describes; any bad row: :class:`ImportError_` with every problem and its line."""
    return unit_rows(read_table(path), str(path))


def import_units_file(engine: Engine, tree: UnitTree, file_name: str) -> int:
    """The units file's units replace those imported before (the next evaluation uses them, when the rules take
    the tree from the file); how many units."""
    with engine.begin() as connection:
        return store.replace_units_file(connection, tree.rows(), file_name)


def read_transfers(path: Path) -> list[Transfer]:
    return transfer_rows(read_table(path), str(path))


def _known_units(connection: Connection, spec: Cadres) -> set[str]:
    codes = set(current_tree(connection, spec).units)
    if spec.unit.source == "cohort":
        codes |= {code for code, _name, _custom in store.live_cohorts(connection)}
    return codes


def import_transfers(engine: Engine, transfers: list[Transfer], spec: Cadres, source: str) -> int:
    """Store the moves of a transfers file: each cadre it names gets their moves from it (replacing the file's
    rows for them before). A cadre the mirror does not hold or a unit that is none: :class:`ImportError_` naming
    every such line, and nothing is imported. How many cadres it names."""
    with engine.begin() as connection:
        cadres, units = mirror_cadre_ids(connection, spec), _known_units(connection, spec)
        problems = [f"{source}:{t.line}: cadre id {t.cadre_id!r} is not a cadre in the mirror" for t in transfers
                    if t.cadre_id not in cadres]
        if spec.unit.source == "cohort" or spec.unit.tree.source != "none":  # otherwise any profile value is a unit
            problems += [f"{source}:{t.line}: unit code {t.unit!r} is not a unit (not a unit cohort's Cohort ID, "
                         "nor in the unit tree)" for t in transfers if t.unit not in units]
        if problems:
            raise ImportError_(problems)
        by_cadre: dict[str, list[tuple[str, date]]] = {}
        for t in transfers:
            by_cadre.setdefault(t.cadre_id, []).append((t.unit, t.start))
        moves = [(cadre_id, s.unit_code, s.start, s.end) for cadre_id, its in by_cadre.items()
                 for s in from_transfers(its) if s.start is not None]
        return store.replace_transfers(connection, moves, source)


def clear_transfers(engine: Engine, cadre_ids: list[str]) -> int:
    """The transfers file's moves of these cadres forgotten; how many."""
    with engine.begin() as connection:
        return store.clear_transfers(connection, cadre_ids)


def spells(connection: Connection, cadre_ids: Sequence[str] | None) -> dict[str, list[Spell]]:
    """The cadres' memberships (or everyone's) as spells."""
    return {cadre_id: [_spell(r) for r in rows] for cadre_id, rows in store.memberships(connection, cadre_ids).items()}


@dataclass(frozen=True)
class Placed:
    """The cadres in their units on the as-of day, and the day each one's unit changes next (the transfers
    file's later moves): their results hold until then."""

    cadres: list[CadreFacts]
    next_move: dict[str, date]


def placing_key(spec: Cadres, tree: UnitTree) -> str:
    """What decides which unit each cadre is counted in: where units come from and, for cohorts, the tree proper's
    units and depths (the deepest of a cadre's cohorts is their unit). Part of every result's context: when it
    changes, everyone is judged again, and a cadre's different unit is a new name, not a move."""
    placing = tree.placing_digest() if spec.unit.source == "cohort" else None
    return hashlib.sha256(json.dumps([spec.unit.model_dump(mode="json"), placing]).encode()).hexdigest()


def place(connection: Connection, cadres: list[CadreFacts], as_of: date, tree: UnitTree, everyone: bool,
          record: bool = True, renamed: bool = False) -> Placed:
    """Note the unit Moodle shows each cadre in (their history in the store, from ``as_of``; not for an earlier
    day than an evaluation before: ``record`` False), then count each in their unit on ``as_of``
    (``rules/memberships.py``); ``everyone``: the cadres are all of them (one read). ``renamed``: what places a
    cadre changed since the last evaluation (``placing_key``): an open membership takes its new unit's code."""
    rows = store.memberships(connection, None if everyone else [c.cadre_id for c in cadres])
    closes: dict[int, date] = {}
    renames: dict[int, str] = {}
    opens: list[tuple[str, str, date | None]] = []
    placed: list[CadreFacts] = []
    next_move: dict[str, date] = {}
    names: dict[str, str] = {}
    unnoted: list[str] = []
    for cadre in cadres:
        its = [_spell(r) for r in rows.get(cadre.cadre_id, [])]
        seen = sighting(as_of, its, cadre.unit_code, renamed) if record else Sighting(False, None, False)
        if seen.close or seen.rekey:
            open_row = next(r for r in rows[cadre.cadre_id] if r.source == "moodle" and r.valid_to is None)
            if seen.rekey:
                renames[open_row.id] = cadre.unit_code
                its = [_spell(r._replace(unit_code=cadre.unit_code)) if r is open_row else _spell(r)
                       for r in rows[cadre.cadre_id]]
            else:
                closes[open_row.id] = as_of - timedelta(days=1)
                its = [_spell(r._replace(valid_to=closes[open_row.id])) if r is open_row else _spell(r)
                       for r in rows[cadre.cadre_id]]
        if seen.opens:
            opens.append((cadre.cadre_id, cadre.unit_code, seen.open_from))
            its.append(Spell(cadre.unit_code, seen.open_from, None, "moodle"))
        code = unit_on(as_of, its, cadre.unit_code)
        if code != cadre.unit_code and not record:  # a move not noted yet (or a transfer): judged again next time
            unnoted.append(cadre.cadre_id)
        if code != cadre.unit_code:
            if code not in names:  # a cadre counted elsewhere than Moodle shows: the unit's name
                names.update(store.cohort_names(connection, [code]))
            cadre = replace(cadre, unit_code=code, unit_name=tree.name(code) or names.get(code, code))
        placed.append(cadre)
        if (moves := next_change(as_of, its)) is not None:
            next_move[cadre.cadre_id] = moves
    store.record_sightings(connection, closes, opens, renames)
    store.judge_next_time(connection, unnoted)  # the next evaluation that notes Moodle's units places them
    return Placed(placed, next_move)


def _spell(row: store.MembershipRow) -> Spell:
    return Spell(row.unit_code, row.valid_from, row.valid_to, "file" if row.source == "file" else "moodle")

"""The unit tree: which unit each unit belongs to (pure).

Units form a tree: the county, its townships and departments, their offices. A tree is built from whichever
source the rules file's ``cadres.unit.tree`` names (``TREE_SOURCES``): the units' cohorts in Moodle with a cohort
custom field naming the parent's Cohort ID, the Cohort IDs themselves (a parent's code, then a separator), a
profile field holding each cadre's unit as a path, or a units file staff keep. Whatever the source, the answer is
one ``UnitTree``: figures roll up along it, and a reviewer's units stand for their subtrees.

A tree with problems (a parent that is not a unit, a circle) is still a tree: the unit whose parent is missing or
whose parent would close a circle becomes a root, and ``problems`` says so in plain words (``doctor`` and
``units check`` show them). An evaluation never stops for a tree.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    parent: str | None = None  # the parent unit's code; None for a root


@dataclass(frozen=True)
class UnitTree:
    """Units by code, each with its parent; an empty tree has every unit a root (the units are flat)."""

    units: Mapping[str, Unit] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @classmethod
    def of(cls, units: Iterable[Unit]) -> UnitTree:
        """The tree of ``units`` (the first of a code counts); a missing parent or a circle makes a root."""
        given: dict[str, Unit] = {}
        problems: list[str] = []
        for unit in units:
            if unit.code in given:
                problems.append(f"Unit {unit.code} is given twice; the first one counts.")
                continue
            if unit.parent == unit.code:
                problems.append(f"Unit {_named(unit)} names itself as its parent; it is taken as a top unit.")
            parent = unit.parent if unit.parent and unit.parent != unit.code else None
            given[unit.code] = Unit(unit.code, unit.name, parent)
        for code, unit in list(given.items()):
            if unit.parent is not None and unit.parent not in given:
                problems.append(f"Unit {_named(unit)} names {unit.parent} as its parent, which is not a unit;"
                                " it is taken as a top unit.")
                given[code] = Unit(code, unit.name, None)
        for code in sorted(given):  # a circle: the unit that closes it, in code order, becomes a root
            seen = {code}
            step = given[code].parent
            while step is not None:
                if step in seen:
                    problems.append(f"Units {' → '.join(_circle(given, step))} form a circle; {_named(given[step])}"
                                    " is taken as a top unit.")
                    given[step] = Unit(step, given[step].name, None)
                    break
                seen.add(step)
                step = given[step].parent
        return cls(given, tuple(problems))

    def __bool__(self) -> bool:
        return bool(self.units)

    def parent(self, code: str) -> str | None:
        unit = self.units.get(code)
        return unit.parent if unit else None

    def name(self, code: str) -> str | None:
        unit = self.units.get(code)
        return unit.name if unit else None

    def path(self, code: str) -> list[str]:
        """The codes from the top unit down to ``code`` (just ``code`` for a unit not in the tree)."""
        chain = [code]
        while (parent := self.parent(chain[-1])) is not None:
            chain.append(parent)
        return chain[::-1]

    def depth(self, code: str) -> int:
        """How many units are above ``code`` (0 for a top unit, or a unit not in the tree)."""
        return self._depths.get(code, 0)

    @cached_property
    def _depths(self) -> dict[str, int]:  # an evaluation asks it of every cadre's cohorts
        return {code: len(self.path(code)) - 1 for code in self.units}

    def children(self) -> dict[str | None, list[str]]:
        """Each unit's children's codes (None: the top units), by name then code."""
        return self._children

    @cached_property
    def _children(self) -> dict[str | None, list[str]]:  # every reviewer's request reads it (their reach)
        found: dict[str | None, list[str]] = defaultdict(list)
        for unit in sorted(self.units.values(), key=lambda u: (u.name, u.code)):
            found[unit.parent].append(unit.code)
        return dict(found)

    def subtree(self, code: str) -> set[str]:
        """``code`` and every unit below it."""
        return self.subtrees([code])

    def subtrees(self, codes: Iterable[str]) -> set[str]:
        """The units of ``codes`` and everything below them: a reviewer's units stand for their subtrees."""
        below = self.children()
        found: set[str] = set()
        todo = list(codes)
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo.extend(below.get(current, []))
        return found

    def ordered(self, codes: Iterable[str]) -> list[str]:
        """``codes`` with their ancestors, each unit followed by its children (by name), top units first."""
        wanted: set[str] = set()
        for code in codes:
            wanted.update(self.path(code))
        below = self.children()
        tops = [c for c in below.get(None, []) if c in wanted] + sorted(wanted - self.units.keys())
        answer: list[str] = []

        def walk(code: str) -> None:
            answer.append(code)
            for child in below.get(code, []):
                if child in wanted:
                    walk(child)

        for top in tops:
            walk(top)
        return answer

    @cached_property
    def linked(self) -> frozenset[str]:
        """The units above or below another: those of the tree proper (a cohort that is no unit, a group of
        leaders, stands alone)."""
        return frozenset(code for code, unit in self.units.items() if unit.parent is not None) | frozenset(
            unit.parent for unit in self.units.values() if unit.parent is not None)

    def deepest(self, codes: Sequence[str]) -> str | None:
        """Of a cadre's cohorts (in cohort order), the unit: the deepest in the tree, the first among equals; a
        cohort in the tree proper (``linked``) before one that stands alone."""
        if not codes:
            return None
        return max(codes, key=lambda code: (code in self.linked, self._depths.get(code, 0)))

    def placing_digest(self) -> str | None:
        """What ``deepest`` depends on: the tree proper's units and their depths (not their names, parents or the
        units standing alone). An evaluation judges everyone again only when this changes: a cohort added or
        renamed, or a unit moved to another parent at the same depth, places no cadre elsewhere."""
        if not self.linked:
            return None
        placing = sorted((code, self._depths[code]) for code in self.linked)
        return hashlib.sha256(json.dumps(placing, ensure_ascii=False).encode()).hexdigest()

    def rows(self) -> list[list[str | None]]:
        """The tree as plain rows ([code, name, parent], by code): what the store keeps of it."""
        return [[u.code, u.name, u.parent] for _code, u in sorted(self.units.items())]

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[str | None]]) -> UnitTree:
        return cls.of(Unit(str(code), str(name or code), parent) for code, name, parent in rows)

    def digest(self) -> str:
        """The tree's fingerprint: an evaluation records the tree it used by it."""
        return hashlib.sha256(json.dumps(self.rows(), ensure_ascii=False).encode()).hexdigest()


FLAT = UnitTree()


def _named(unit: Unit) -> str:
    return f"{unit.name} ({unit.code})" if unit.name != unit.code else unit.code


def _circle(units: Mapping[str, Unit], start: str) -> Iterator[str]:
    yield start
    step = units[start].parent
    while step is not None and step != start:
        yield step
        step = units[step].parent
    yield start


# --- the sources --------------------------------------------------------------------------------------------------


def from_cohort_field(cohorts: Iterable[tuple[str, str, Mapping[str, object] | None]], field_name: str) -> UnitTree:
    """From the units' cohorts, (code, name, custom fields) each: the custom field ``field_name`` holds the parent
    unit's Cohort ID (empty for a top unit)."""
    return UnitTree.of(Unit(code, name, str((custom or {}).get(field_name) or "").strip() or None)
                       for code, name, custom in cohorts)


def from_code_prefix(units: Iterable[tuple[str, str]], separator: str) -> UnitTree:
    """From the units' codes: a unit's parent is the longest other unit code that, followed by ``separator``,
    starts its code ("CTY-T01-O02" belongs to "CTY-T01", which belongs to "CTY")."""
    given = dict(units)
    answer = []
    for code, name in given.items():
        parts = code.split(separator)
        parent = next((separator.join(parts[:n]) for n in range(len(parts) - 1, 0, -1)
                       if separator.join(parts[:n]) in given), None)
        answer.append(Unit(code, name, parent))
    return UnitTree.of(answer)


def path_parts(value: str, separator: str) -> list[str]:
    """A unit path's parts ("County / Datang Town / Party Office"), trimmed, the empty ones dropped."""
    return [part.strip() for part in value.split(separator) if part.strip()]


def path_code(value: str, separator: str) -> str:
    """A unit path as a unit code: its parts joined by the separator, without stray spaces."""
    return separator.join(path_parts(value, separator))


def from_paths(values: Iterable[str], separator: str) -> UnitTree:
    """From the cadres' unit paths (a profile field): each path names its unit and every unit above it; a unit's
    code is its path, its name the path's last part."""
    units: dict[str, Unit] = {}
    for value in values:
        parts = path_parts(value, separator)
        for n in range(1, len(parts) + 1):
            code = separator.join(parts[:n])
            units.setdefault(code, Unit(code, parts[n - 1], separator.join(parts[:n - 1]) or None))
    return UnitTree.of(units.values())

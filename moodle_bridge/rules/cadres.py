"""Moodle users become cadres, as the rules file's ``cadres`` section says (pure)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from .bounds import sane_date
from .facts import CadreFacts
from .sections import Cadres
from .units import FLAT, UnitTree, path_code, path_parts


class Person(Protocol):
    """A mirrored Moodle user, as the store reads one (any object with these attributes)."""

    @property
    def user_id(self) -> int: ...
    @property
    def firstname(self) -> str | None: ...
    @property
    def lastname(self) -> str | None: ...
    @property
    def department(self) -> str | None: ...
    @property
    def suspended(self) -> bool: ...
    @property
    def profile(self) -> Mapping[str, Any]: ...
    @property
    def cohorts(self) -> Sequence[tuple[str, str]]: ...  # (code, name) of each live cohort, by cohort id


@dataclass(frozen=True)
class Duplicate:
    """A Moodle user whose cadre id an earlier user has: the first account counts."""

    cadre_id: str
    user_id: int


def profile_day(text: Any) -> date | None:
    """A profile field's date, or None when it is empty, unreadable or outside the sane window (bounds.py):
    a typo such as 0202-05-01 in Moodle must not stop an evaluation."""
    try:
        return sane_date(date.fromisoformat(text.strip())) if text else None
    except (ValueError, AttributeError):
        return None


def unit_of(person: Person, spec: Cadres, tree: UnitTree = FLAT) -> tuple[str, str]:
    """A cadre's unit in Moodle, (code, name): their unit cohort (of several, the deepest in the unit tree; without
    a tree, the first), or the unit profile field (a path's last part names the unit when the tree is made of
    paths); "?" when Moodle has none."""
    profile = person.profile or {}
    if spec.unit.source == "cohort" and person.cohorts:
        if not tree:
            return person.cohorts[0]
        names = dict(person.cohorts)
        code = tree.deepest([code for code, _name in person.cohorts]) or person.cohorts[0][0]
        return code, names[code]
    value = str(profile.get(spec.unit.field) or person.department or "?")
    if spec.unit.tree.source == "profile_path" and path_parts(value, spec.unit.tree.parts_separator):
        separator = spec.unit.tree.parts_separator
        return path_code(value, separator), path_parts(value, separator)[-1]
    return value, value


def cadres_of(people: Iterable[Person], spec: Cadres,
              tree: UnitTree = FLAT) -> tuple[list[CadreFacts], list[Duplicate]]:
    """The cadres among ``people`` (in the order given), each in their unit (``unit_of``), and the users skipped
    for a duplicate cadre id."""
    cadres: list[CadreFacts] = []
    duplicates: list[Duplicate] = []
    seen: set[str] = set()
    for person in people:
        profile = person.profile or {}
        cadre_id = profile.get(spec.cadre_id_field)
        if not cadre_id:
            continue  # not a cadre
        if cadre_id in seen:
            duplicates.append(Duplicate(cadre_id, person.user_id))
            continue
        seen.add(cadre_id)
        unit_code, unit_name = unit_of(person, spec, tree)
        cadres.append(CadreFacts(
            user_id=person.user_id, cadre_id=cadre_id,
            name=full_name(person.firstname, person.lastname, spec.name_order), unit_code=unit_code,
            unit_name=unit_name, rank=profile.get(spec.rank_field), category=profile.get(spec.category_field),
            cohorts=frozenset(code for code, _name in person.cohorts),
            joined=profile_day(profile.get(spec.joined_field)) if spec.joined_field else None,
            promoted=profile_day(profile.get(spec.promoted_field)) if spec.promoted_field else None,
            suspended=bool(person.suspended)))
    return cadres, duplicates


def full_name(given: str | None, family: str | None, order: str = "given_first") -> str:
    """A Moodle user's name as staff read it: "Tao Ma", or family name first ("Ma Tao"); two Chinese parts are
    written together, without a space ("马涛"), as a Chinese name is."""
    first, second = (family or "", given or "") if order == "family_first" else (given or "", family or "")
    first, second = first.strip(), second.strip()
    if order == "family_first" and _all_cjk(first) and _all_cjk(second):
        return first + second
    return f"{first} {second}".strip()


def _all_cjk(text: str) -> bool:
    return bool(text) and all(unicodedata.east_asian_width(char) in "WF" for char in text)

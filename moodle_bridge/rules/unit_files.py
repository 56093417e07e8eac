"""The units file and the transfers file staff keep: check every row of a table (English or Chinese headers) and
report every problem with its line; a table with any bad row gives nothing (pure: ``services/units.py`` reads the
CSV or Excel file into the table this checks).

- The units file: one row a unit, its code, its name and its parent's code (empty for a top unit).
- The transfers file: one row a move, a cadre's id, the unit they belong to and the day from which they do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from .bounds import sane_date
from .offline import ImportError_, Table, cell_day
from .units import Unit, UnitTree

UNIT_COLUMNS = {
    "code": ("unit code", "code", "单位代码"),
    "name": ("unit name", "name", "单位名称"),
    "parent": ("parent unit code", "parent code", "parent", "上级单位代码"),
}
TRANSFER_COLUMNS = {
    "cadre_id": ("cadre id", "cadre_id", "干部编号"),
    "unit": ("unit code", "unit", "单位代码"),
    "from": ("from", "from day", "start", "调入日期"),
}


@dataclass(frozen=True)
class Transfer:
    """A cadre belongs to ``unit`` from ``start`` on (until their next transfer)."""

    line: int
    cadre_id: str
    unit: str
    start: date


def _positions(header: Sequence[Any], columns: dict[str, tuple[str, ...]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        label = str(cell or "").strip().lower()
        for column, labels in columns.items():
            if label in labels and column not in found:
                found[column] = index
    return found


def _text(cells: Sequence[Any], positions: dict[str, int], column: str) -> str:
    index = positions.get(column)
    value = cells[index] if index is not None and index < len(cells) else None
    if isinstance(value, float) and value.is_integer():  # a numeric code typed into Excel: 101, not 101.0
        value = int(value)
    return str(value if value is not None else "").strip()


def _header(table: Table, source: str, columns: dict[str, tuple[str, ...]], required: Sequence[str],
            template: str) -> dict[str, int]:
    if not table:
        raise ImportError_([f"{source}: the file is empty"])
    line, header = table[0]
    positions = _positions(header, columns)
    if missing := [column for column in required if column not in positions]:
        raise ImportError_([f"{source}:{line}: missing column(s): {', '.join(columns[c][0] for c in missing)} "
                            f"(write a template with `{template}`)"])
    return positions


def unit_rows(table: Table, source: str) -> UnitTree:
    """The tree a units file describes; every wrong row (no code, a code twice, a parent that is no unit of the
    file, a circle): :class:`ImportError_` with every problem and its line."""
    positions = _header(table, source, UNIT_COLUMNS, ("code", "name", "parent"), "moodle-bridge units template")
    units: list[Unit] = []
    lines: dict[str, int] = {}
    problems: list[str] = []
    for line, cells in table[1:]:
        code, name = _text(cells, positions, "code"), _text(cells, positions, "name")
        parent = _text(cells, positions, "parent") or None
        if not code:
            problems.append(f"{source}:{line}: no unit code")
        elif code in lines:
            problems.append(f"{source}:{line}: unit code {code} is on line {lines[code]} already")
        elif parent == code:
            problems.append(f"{source}:{line}: unit {code} names itself as its parent")
        else:
            lines[code] = line
            units.append(Unit(code, name or code, parent))
    for unit in units:
        if unit.parent is not None and unit.parent not in lines:
            problems.append(f"{source}:{lines[unit.code]}: parent unit code {unit.parent} is not a unit of the file")
    if problems:
        raise ImportError_(problems)
    tree = UnitTree.of(units)
    if tree.problems:  # only circles are left
        raise ImportError_([f"{source}: {problem}" for problem in tree.problems])
    return tree


def unit_template_header(language: str = "en") -> list[str]:
    return ["单位代码", "单位名称", "上级单位代码"] if language.startswith("zh") else [
        "unit code", "unit name", "parent unit code"]


def transfer_rows(table: Table, source: str) -> list[Transfer]:
    """Every move of a transfers file, checked: every wrong row (no cadre id, no unit, a day that is not one, the
    same cadre twice on one day): :class:`ImportError_` with every problem and its line."""
    positions = _header(table, source, TRANSFER_COLUMNS, ("cadre_id", "unit", "from"),
                        "moodle-bridge units transfers-template")
    transfers: list[Transfer] = []
    problems: list[str] = []
    seen: dict[tuple[str, date], int] = {}
    for line, cells in table[1:]:
        cadre_id, unit = _text(cells, positions, "cadre_id"), _text(cells, positions, "unit")
        reasons = [] if cadre_id else ["no cadre id"]
        if not unit:
            reasons.append("no unit code")
        raw = cells[positions["from"]] if positions["from"] < len(cells) else None
        try:
            start = sane_date(cell_day(raw))
        except (TypeError, ValueError, OverflowError):
            reasons.append(f"from {raw!r} is not a date (YYYY-MM-DD)")
        else:
            if (cadre_id, start) in seen:
                reasons.append(f"cadre {cadre_id} moves on {start} on line {seen[cadre_id, start]} already")
            seen[cadre_id, start] = line
        if reasons:
            problems.append(f"{source}:{line}: " + "; ".join(reasons))
        else:
            transfers.append(Transfer(line, cadre_id, unit, start))
    if problems:
        raise ImportError_(problems)
    return transfers


def transfer_template_header(language: str = "en") -> list[str]:
    return ["干部编号", "单位代码", "调入日期"] if language.startswith("zh") else ["cadre id", "unit code", "from"]

"""The targets file of a period: each unit's targets (目标责任), checked row by row (English or Chinese headers),
every problem with its line. A table with any bad row gives nothing (pure: ``services/targets.py`` reads the CSV or
Excel file into the table this checks, as ``services/offline.py`` does for offline training)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence, Set
from typing import Any

from .assessment import SHARES, TARGETS, UnitTargets
from .offline import ImportError_, Table

# column -> accepted headers (lower-cased, spaces as written); the template writes the first English and Chinese ones
COLUMNS = {
    "unit_code": ("unit code", "unit_code", "单位代码"),
    "unit_name": ("unit", "unit name", "unit_name", "单位名称", "单位"),  # for the person filling it in: not read
    "completion_rate": ("target completion rate (%)", "completion rate (%)", "target completion rate",
                        "completion rate", "completion_rate", "目标单位达标率（%）", "目标单位达标率(%)",
                        "目标单位达标率", "单位达标率（%）", "单位达标率(%)", "单位达标率"),
    "hours_per_cadre": ("target hours per cadre", "hours per cadre", "hours_per_cadre", "目标人均学时", "人均学时"),
    "required_courses": ("target share completing required courses (%)", "share completing required courses (%)",
                         "required courses completed (%)", "required_courses", "目标必修课程完成率（%）",
                         "目标必修课程完成率(%)", "目标必修课程完成率", "必修课程完成率（%）", "必修课程完成率(%)",
                         "必修课程完成率"),
    "organised_trainings": ("target trainings organised", "trainings organised", "organised_trainings",
                            "organized_trainings", "目标自主举办培训期数", "自主举办培训期数"),
}
MAX_HOURS_PER_CADRE = 10_000.0  # a year holds 8,760 hours
MAX_TRAININGS = 100_000
TEMPLATE = "moodle-bridge targets template"


def _header_positions(header: Sequence[Any]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        label = " ".join(str(cell or "").split()).lower()
        for column, labels in COLUMNS.items():
            if label in labels and column not in positions:
                positions[column] = index
    return positions


def _number(value: Any, percent: bool) -> float | None:
    """A cell as a number (None when blank); a percent may be written "90%". ValueError when it is not one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    text = str(value).strip().replace("％", "%")
    if percent and text.endswith("%"):
        text = text[:-1].strip()
    number = float(text)
    if not math.isfinite(number):
        raise ValueError
    return number


def _checked(column: str, value: Any) -> tuple[float | None, str | None]:
    """The target (a share for a percent), or why the cell is wrong."""
    percent = column in SHARES
    words = column.replace("_", " ")
    try:
        number = _number(value, percent)
    except (TypeError, ValueError):
        return None, f"{words} {value!r} is not a number"
    if number is None:
        return None, None
    if number < 0:
        return None, f"{words} {number:g} is negative"
    if percent:
        if number > 100:
            return None, f"{words} {number:g} is more than 100 (write a percent: 90 for 90%)"
        return round(number / 100, 6), None
    if column == "hours_per_cadre" and number > MAX_HOURS_PER_CADRE:
        return None, f"{words} {number:g} is more than {MAX_HOURS_PER_CADRE:,.0f}"
    if column == "organised_trainings" and (number != int(number) or number > MAX_TRAININGS):
        return None, f"{words} {number:g} is not a whole number up to {MAX_TRAININGS:,}"
    return number, None


def target_rows(table: Table, source: str) -> list[tuple[int, UnitTargets]]:
    """Every row of a targets table, checked: (line, the unit's targets). ``source`` (the file) names it in
    problems; any problem: :class:`ImportError_` with every one and its line."""
    if not table:
        raise ImportError_([f"{source}: the file is empty"])
    header_line, header = table[0]
    positions = _header_positions(header)
    if "unit_code" not in positions or not any(t in positions for t in TARGETS):
        missing = ["unit code"] if "unit_code" not in positions else []
        if not any(t in positions for t in TARGETS):
            missing.append("at least one target")
        raise ImportError_([f"{source}:{header_line}: missing column(s): {', '.join(missing)} "
                            f"(write a template with `{TEMPLATE}`)"])
    rows: list[tuple[int, UnitTargets]] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for line, cells in table[1:]:
        def cell(column: str, cells: Sequence[Any] = cells) -> Any:
            index = positions.get(column)
            return cells[index] if index is not None and index < len(cells) else None

        reasons = []
        code = str(cell("unit_code") or "").strip()
        if not code:
            reasons.append("no unit code")
        elif code in first_line:
            reasons.append(f"unit code {code!r} is given twice (first on line {first_line[code]})")
        else:
            first_line[code] = line
        goals: dict[str, float | None] = {}
        for target in TARGETS:
            goals[target], reason = _checked(target, cell(target))
            if reason:
                reasons.append(reason)
        if reasons:
            problems.append(f"{source}:{line}: " + "; ".join(reasons))
        else:
            rows.append((line, UnitTargets(code, **goals)))
    if problems:
        raise ImportError_(problems)
    if not rows:
        raise ImportError_([f"{source}: no unit's targets below the header"])
    return rows


def template_header(language: str = "en") -> list[str]:
    english = ["unit code", "unit name", "target completion rate (%)", "target hours per cadre",
               "target share completing required courses (%)", "target trainings organised"]
    chinese = ["单位代码", "单位名称", "目标单位达标率（%）", "目标人均学时", "目标必修课程完成率（%）",
               "目标自主举办培训期数"]
    return chinese if language.startswith("zh") else english


def unknown_units(rows: Iterable[tuple[int, str]], known: Set[str], source: str) -> list[str]:
    """One problem per row (line, unit code) whose unit the mirror does not hold."""
    if not known:
        return [f"{source}: the mirror holds no units yet: run `moodle-bridge sync` first"]
    return [f"{source}:{line}: unit code {code!r} is not a unit in the mirror (a typo, or not synced yet?)"
            for line, code in rows if code not in known]

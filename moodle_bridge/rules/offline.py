"""Offline training rows: check every row of a table (English or Chinese headers), report every
problem with its line. A table with any bad row gives nothing (pure: ``services/offline.py`` reads
the CSV or Excel file into the table this checks)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .bounds import HOURS_PER_DAY, sane_date

Table = list[tuple[int, list[Any]]]  # (line number, cells) of every row, the header first

# column -> accepted headers (lower-cased); the template writes the first English and Chinese ones
COLUMNS = {
    "cadre_id": ("cadre id", "cadre_id", "干部编号"),
    "training": ("training name", "training", "培训名称"),
    "organiser": ("organiser", "organizer", "主办单位"),
    "start": ("start", "start date", "开始日期"),
    "end": ("end", "end date", "结束日期"),
    "days": ("days", "天数"),
    "hours": ("hours", "学时"),
    "leave_hours": ("hours of leave taken", "leave hours", "请假学时"),
    "kind": ("kind", "类别"),
    "reference": ("reference", "证书编号"),
}
REQUIRED = ("cadre_id", "training", "start", "end")


class ImportError_(Exception):
    """The file cannot be imported; ``problems`` lists every reason with its line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class OfflineRow:
    line: int
    cadre_id: str
    training: str
    organiser: str | None
    start: date
    end: date
    days: float | None
    hours: float | None
    leave_hours: float
    kind: str | None
    reference: str | None

    @property
    def key(self) -> str:
        """The same training of the same cadre, whatever file or line it comes from."""
        parts = [self.cadre_id, self.training, self.organiser or "", self.start.isoformat(), self.end.isoformat(),
                 str(self.days), str(self.hours), str(self.leave_hours), self.kind or "", self.reference or ""]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def cell_day(value: Any) -> date:
    """A spreadsheet cell as a day: a date, an Excel serial day, or YYYY-MM-DD (also with / or .)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and 20_000 < value < 80_000:  # an Excel date without a date format
        return date(1899, 12, 30) + timedelta(days=int(value))
    text = str(value).strip().replace("/", "-").replace(".", "-")
    return date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))


def _number(value: Any) -> float | None:
    if value in (None, ""):
        return None
    number = float(str(value).strip())
    if not math.isfinite(number) or number < 0:  # "inf" and "nan" parse as floats
        raise ValueError("not a finite number of zero or more")
    return number


def _within_span(numbers: dict[str, float | None], calendar_days: int) -> list[str]:
    """Days, hours and leave no greater than the training's calendar days allow (so none can overflow a total)."""
    reasons = []
    limits = {"days": calendar_days, "hours": calendar_days * HOURS_PER_DAY,
              "leave_hours": calendar_days * HOURS_PER_DAY}
    for column, limit in limits.items():
        value = numbers.get(column)
        if value is not None and value > limit:
            unit = "days" if column == "days" else "hours"
            reasons.append(f"{column.replace('_', ' ')} {value:g} is more than the {limit:g} {unit} from start to end")
    return reasons


def _cell(cells: Sequence[Any], positions: dict[str, int], column: str) -> Any:
    index = positions.get(column)
    return cells[index] if index is not None and index < len(cells) else None


def _header_positions(header: Sequence[Any]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        label = str(cell or "").strip().lower()
        for column, labels in COLUMNS.items():
            if label in labels:
                positions[column] = index
    return positions


def _row(line: int, cells: Sequence[Any], positions: dict[str, int]) -> OfflineRow | list[str]:
    """The row, or the reasons it is wrong."""
    def get(column: str) -> Any:
        return _cell(cells, positions, column)

    reasons = []
    cadre_id, training = str(get("cadre_id") or "").strip(), str(get("training") or "").strip()
    if not cadre_id:
        reasons.append("no cadre id")
    if not training:
        reasons.append("no training name")
    days: dict[str, date] = {}
    for column in ("start", "end"):
        try:
            day = cell_day(get(column))
        except (TypeError, ValueError, OverflowError):
            reasons.append(f"{column} {get(column)!r} is not a date (YYYY-MM-DD)")
            continue
        try:
            days[column] = sane_date(day)
        except ValueError as exc:
            reasons.append(f"{column} {exc}")
    if "start" in days and "end" in days and days["end"] < days["start"]:
        reasons.append("ends before it starts")
    numbers: dict[str, float | None] = {}
    for column in ("days", "hours", "leave_hours"):
        try:
            numbers[column] = _number(get(column))
        except ValueError:
            reasons.append(f"{column.replace('_', ' ')} {get(column)!r} is not a number of zero or more")
    if not reasons and numbers.get("days") is None and numbers.get("hours") is None:
        reasons.append("give days or hours")
    if not reasons:
        reasons += _within_span(numbers, (days["end"] - days["start"]).days + 1)
    if reasons:
        return reasons
    return OfflineRow(line, cadre_id, training, str(get("organiser") or "").strip() or None, days["start"],
                      days["end"], numbers["days"], numbers["hours"], numbers["leave_hours"] or 0.0,
                      str(get("kind") or "").strip() or None, str(get("reference") or "").strip() or None)


def offline_rows(table: Table, source: str) -> list[OfflineRow]:
    """Every row of an offline-training table, checked; ``source`` (the file) names it in problems."""
    if not table:
        raise ImportError_([f"{source}: the file is empty"])
    header_line, header = table[0]
    positions = _header_positions(header)
    missing = [c for c in REQUIRED if c not in positions]
    if "days" not in positions and "hours" not in positions:
        missing.append("days or hours")
    if missing:
        raise ImportError_([f"{source}:{header_line}: missing column(s): {', '.join(missing)} "
                            "(write a template with `moodle-bridge credits template`)"])
    rows, problems = [], []
    for line, cells in table[1:]:
        checked = _row(line, cells, positions)
        if isinstance(checked, OfflineRow):
            rows.append(checked)
        else:
            problems.append(f"{source}:{line}: " + "; ".join(checked))
    if problems:
        raise ImportError_(problems)
    return rows


def template_header(language: str = "en") -> list[str]:
    english = ["cadre id", "training name", "organiser", "start", "end", "days", "hours", "hours of leave taken",
               "kind", "reference"]
    chinese = ["干部编号", "培训名称", "主办单位", "开始日期", "结束日期", "天数", "学时", "请假学时", "类别",
               "证书编号"]
    return chinese if language.startswith("zh") else english


def unknown_cadres(rows: Iterable[tuple[int, str]], known: Set[str], source: str) -> list[str]:
    """One problem per imported row (line, cadre id) whose cadre the mirror does not hold."""
    if not known:
        return [f"{source}: the mirror holds no cadres yet: run `moodle-bridge sync` first"]
    return [f"{source}:{line}: cadre id {cadre_id!r} is not a cadre in the mirror (a typo, or not synced yet?)"
            for line, cadre_id in rows if cadre_id not in known]

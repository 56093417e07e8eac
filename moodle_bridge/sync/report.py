"""Reading the completions report: column roles from headers, display strings to times (pure).

Report builder cells are what a person would see: dates in the integration user's language and
time zone, to the minute ("Sunday, 26 July 2026, 3:00 PM"), "Yes"/"No", "Active"/"Suspended".

Cells read as Moodle 5.1 writes them (course/classes/reportbuilder/local/entities/completion.php,
enrolment.php, recorded on a real site):
- *Completed* is "Yes", "No", or EMPTY when the enrolment has no ``course_completions`` record
  yet (Moodle creates one lazily: new enrolments, and many suspended or ended ones, have none);
  empty and "No" both mean "not completed".
- *Grade* is the course total's ``finalgrade`` through ``format_float($value, 2)`` ("70.00", or
  "70,00" where the language's decimal separator is a comma), empty when there is none.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

# Column roles and the English headers Moodle 5.1 gives them (Course participants source).
HEADERS = {
    "course_idnumber": ("Course ID number",),
    "user_idnumber": ("ID number",),
    "completed": ("Completed",),
    "time_completed": ("Time completed",),
    "enrol_status": ("Status",),
    "enrol_timestart": ("Time started",),  # the first "Time started": the enrolment's
    "enrol_timeend": ("Time ended",),
    "grade": ("Grade",),  # the course total (completion entity); optional
}
REQUIRED = ("course_idnumber", "user_idnumber", "completed", "time_completed")
STATUS = {"Active": "active", "Suspended": "inactive", "Not current": "inactive"}
COMPLETED = {"Yes": True, "No": False, "": False}  # "": no completion record yet
_MONTHS = {m: i for i, m in enumerate(["January", "February", "March", "April", "May", "June", "July", "August",
                                       "September", "October", "November", "December"], start=1)}
_DATE = re.compile(r"^\w+, (\d{1,2}) (\w+) (\d{4}), (\d{1,2}):(\d{2}) (AM|PM)$")


class ReportLayoutError(ValueError):
    """The report's columns are not what the sync needs; the message says what to change."""


class ReportUnstable(Exception):
    """The report kept changing while being paged: nothing was applied."""


@dataclass(frozen=True)
class Layout:
    positions: dict[str, int]  # role -> column index

    def has(self, role: str) -> bool:
        return role in self.positions


def layout(headers: list[str]) -> Layout:
    positions: dict[str, int] = {}
    for index, header in enumerate(headers):
        for role, labels in HEADERS.items():
            if header.strip() in labels and role not in positions:
                positions[role] = index
                break
    missing = [role for role in REQUIRED if role not in positions]
    if missing:
        wanted = ", ".join(f"'{HEADERS[r][0]}'" for r in missing)
        raise ReportLayoutError(
            f"the completions report lacks the column(s) {wanted} (it has: {', '.join(headers)}). "
            "Add them, and check the integration user's language is English (README, The completions report)."
        )
    return Layout(positions)


@dataclass(frozen=True)
class TimeRange:
    """A display time: every second it may stand for, as Unix seconds [first, last]."""

    first: int
    last: int


def parse_display_time(text: str, tz: str) -> TimeRange | None:
    text = (text or "").strip()
    if not text:
        return None
    match = _DATE.match(text)
    if match is None or match.group(2) not in _MONTHS:
        raise ValueError(f"not a Moodle date: {text!r}")
    day, month, year, hour, minute, half = match.groups()
    hour24 = int(hour) % 12 + (12 if half == "PM" else 0)
    zone = ZoneInfo(tz)
    local = datetime(int(year), _MONTHS[month], int(day), hour24, int(minute), tzinfo=zone)
    starts = {int(local.replace(fold=fold).timestamp()) for fold in (0, 1)}  # two in a DST fold
    return TimeRange(min(starts), max(starts) + 59)


def period_starts(year_from: int, year_to: int, tz: str, period_start: str = "01-01") -> list[int]:
    month, day = (int(part) for part in period_start.split("-"))
    return [int(datetime(y, month, day, tzinfo=ZoneInfo(tz)).timestamp()) for y in range(year_from, year_to + 1)]


def straddles(moment: TimeRange, boundaries: list[int]) -> bool:
    """Whether the period a time falls in depends on seconds the display does not show."""
    return any(moment.first < b <= moment.last for b in boundaries)


@dataclass(frozen=True)
class ParticipationRow:
    course_idnumber: str
    user_idnumber: str
    status: str | None  # active / inactive; None when the report has no Status column
    timestart: int | None
    timeend: int | None
    completed: bool
    time_completed: TimeRange | None
    grade: float | None = None  # None: no grade, or no Grade column


_GRADE = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def parse_grade(text: str) -> float | None:
    """A *Grade* cell: "70.00", "70,00" (a comma as decimal separator), or empty for no grade."""
    text = (text or "").strip()
    for space in ("\u00a0", "\u202f", " "):  # thousands separators some languages use
        text = text.replace(space, "")
    if text in ("", "-"):
        return None
    if "," in text and "." in text:  # "1,234.50" or "1.234,50": the last one separates decimals
        thousands = "," if text.rfind(".") > text.rfind(",") else "."
        text = text.replace(thousands, "")
    if not _GRADE.match(text):
        raise ValueError(f"grade {text!r} is not a number")
    grade = float(text.replace(",", "."))
    if not math.isfinite(grade):  # "9999…9" (over 300 digits) reads as infinity: no grade Moodle could store
        raise ValueError(f"grade {text[:20]!r}… is too large to be a grade")
    return grade


def raw_cell(columns: list[str | None], where: Layout, role: str) -> str:
    """One raw cell by role, "" when the row lacks it (for rows that did not parse)."""
    index = where.positions.get(role)
    value = columns[index] if index is not None and index < len(columns) else None
    return str(value or "").strip()


def describe(columns: list[str | None], where: Layout) -> str:
    """Which enrolment a raw row is about, for a person reading the sync's summary."""
    course, user = raw_cell(columns, where, "course_idnumber"), raw_cell(columns, where, "user_idnumber")
    return f"course {course or '?'}, user {user or '?'}"


def parse_row(columns: list[str | None], where: Layout, tz: str) -> ParticipationRow:
    if any(i >= len(columns) for i in where.positions.values()):
        raise ValueError(f"the row has {len(columns)} cells, fewer than the report's columns")

    def cell(role: str) -> str:
        return raw_cell(columns, where, role)

    def moment(role: str) -> int | None:
        parsed = parse_display_time(cell(role), tz) if where.has(role) else None
        return None if parsed is None else parsed.first

    status = STATUS.get(cell("enrol_status")) if where.has("enrol_status") else None
    if where.has("enrol_status") and status is None:
        raise ValueError(f"unknown enrolment status {cell('enrol_status')!r}")
    completed = COMPLETED.get(cell("completed"))
    if completed is None:
        raise ValueError(f"'Completed' is {cell('completed')!r}, expected Yes, No or empty")
    time_completed = parse_display_time(cell("time_completed"), tz) if completed else None
    if completed and time_completed is None:
        raise ValueError("'Completed' is Yes but 'Time completed' is empty")
    return ParticipationRow(
        course_idnumber=cell("course_idnumber"), user_idnumber=cell("user_idnumber"), status=status,
        timestart=moment("enrol_timestart"), timeend=moment("enrol_timeend"), completed=completed,
        time_completed=time_completed, grade=parse_grade(cell("grade")) if where.has("grade") else None,
    )


def merge_rows(entries: list[tuple[int, ParticipationRow]]) -> list[tuple[int, ParticipationRow]]:
    """One row per learner. The participants source gives a row per enrolment instance (manual,
    cohort sync, ...): active if any is, earliest start, no end if any has none, else the latest."""
    merged: dict[int, ParticipationRow] = {}
    for user_id, row in entries:
        before = merged.get(user_id)
        if before is None:
            merged[user_id] = row
            continue
        starts = [t for t in (before.timestart, row.timestart) if t is not None]
        merged[user_id] = replace(
            before,
            status="active" if "active" in (before.status, row.status) else before.status or row.status,
            timestart=min(starts) if starts else None,
            timeend=None if before.timeend is None or row.timeend is None else max(before.timeend, row.timeend),
            completed=before.completed or row.completed,
            time_completed=before.time_completed or row.time_completed,
            grade=before.grade if before.grade is not None else row.grade,
        )
    return list(merged.items())

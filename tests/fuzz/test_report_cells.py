"""Fuzz the completions report's cells (sync/report.py ``layout``, ``parse_row``, ``parse_display_time``,
``parse_grade``): headers in any order, language or case, rows of any length and cells of any text, display dates
that almost parse (31 February, 13:99 PM, year 0 or 9999, DST folds), grades in every notation.

A report is refused with a ``ReportLayoutError``, a row with a ``ValueError`` saying why (the sync counts it and
names the enrolment), or the row parses to finite grades and time ranges whose first second is not after the last."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from moodle_bridge.sync.report import (
    HEADERS,
    Layout,
    ParticipationRow,
    ReportLayoutError,
    describe,
    layout,
    parse_display_time,
    parse_grade,
    parse_row,
)

from .common import HUGE_NUMBERS, ODD_TEXT, fuzz, refused_or

LABELS = [labels[0] for labels in HEADERS.values()]
HEADER_CELLS = st.sampled_from(LABELS) | st.sampled_from(LABELS).map(str.lower) | st.sampled_from(
    LABELS).map(lambda h: f" {h}\t") | ODD_TEXT | st.sampled_from(["课程编号", "完成", "Time started", "Status"])
ZONES = st.sampled_from(["Asia/Shanghai", "UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe",
                         "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Santiago"])
WEEKDAYS = st.sampled_from(["Monday", "Sunday", "Funday", "星期一", "", "1"])
MONTHS = st.sampled_from(["January", "February", "March", "October", "November", "December", "Smarch", "january",
                          "Feb", "一月"])


@st.composite
def display_times(draw: st.DrawFn) -> str:
    """Moodle's "Sunday, 26 July 2026, 3:00 PM", with any part odd."""
    day = draw(st.integers(0, 99) | st.sampled_from([29, 30, 31]))
    year = draw(st.integers(0, 9999) | st.sampled_from([1, 1970, 2026, 2038, 9999]))
    hour = draw(st.integers(0, 99) | st.sampled_from([0, 12, 1, 2, 3]))
    minute = draw(st.integers(0, 99))
    half = draw(st.sampled_from(["AM", "PM", "am", "XM"]))
    return f"{draw(WEEKDAYS)}, {day} {draw(MONTHS)} {year:04d}, {hour}:{minute:02d} {half}"


TIMES = display_times() | ODD_TEXT | st.just("")
# Digits beyond a float's range (read as inf until b256f88).
OVERFLOWING = st.sampled_from(["9" * 400, "1" * 309 + ".0", "1" * 400, "-" + "9" * 309])
GRADES = st.one_of(st.floats().map(str), st.integers().map(str), HUGE_NUMBERS, OVERFLOWING, ODD_TEXT,
                   st.sampled_from(["70.00", "70,00", "1,234.50", "1.234,50", "1 234,50", "1\u00a0234,50", "-", "",
                                    "-0", "1,2,3", "1..2", ",5", "5,", "٣٫٥", "9" * 300]))
CELLS = st.one_of(st.none(), TIMES, GRADES, ODD_TEXT, st.sampled_from(["Yes", "No", "", "yes", "Active", "Suspended",
                                                                      "Not current", "CT2026-PT26-001", "CD260001"]))


def good_row(row: ParticipationRow) -> None:
    assert row.grade is None or math.isfinite(row.grade), f"grade {row.grade!r} is not finite"
    assert not row.completed or row.time_completed is not None
    if row.time_completed is not None:
        assert row.time_completed.first <= row.time_completed.last
    assert row.status in (None, "active", "inactive")


@fuzz(150)
@given(st.lists(HEADER_CELLS, max_size=12))
def test_layout_of_any_headers(headers):
    found, _ = refused_or(lambda: layout(headers), ReportLayoutError)
    if found is not None:
        assert all(0 <= i < len(headers) for i in found.positions.values())


@fuzz(200)
@given(st.permutations(LABELS), st.data())
def test_rows_of_any_cells(headers, data):
    where = layout(list(headers))
    columns = data.draw(st.lists(CELLS, max_size=len(headers) + 2))
    tz = data.draw(ZONES)
    describe(columns, where)
    row, _ = refused_or(lambda: parse_row(columns, where, tz), ValueError)
    if row is not None:
        good_row(row)


@fuzz(200)
@given(st.data())
def test_rows_that_are_nearly_right(data):
    """Every cell plausible but one: most rows get to the date and grade parsing."""
    where = Layout({role: i for i, role in enumerate(HEADERS)})
    columns = ["CT2026-PT26-001", "CD260001", data.draw(st.sampled_from(["Yes", "No", ""])), data.draw(TIMES),
               data.draw(st.sampled_from(["Active", "Suspended", "Not current"])), data.draw(TIMES),
               data.draw(TIMES), data.draw(GRADES)]
    row, _ = refused_or(lambda: parse_row(columns, where, data.draw(ZONES)), ValueError)
    if row is not None:
        good_row(row)


@fuzz(200)
@given(TIMES, ZONES)
def test_display_times(text, tz):
    moment, _ = refused_or(lambda: parse_display_time(text, tz), ValueError)
    if moment is not None:
        assert moment.first <= moment.last


def finite_grade(text: str) -> None:
    grade, _ = refused_or(lambda: parse_grade(text), ValueError)
    assert grade is None or math.isfinite(grade), f"grade {text[:40]!r}... read as {grade!r}"


@fuzz(200)
@given(GRADES)
def test_grades(text):
    finite_grade(text)

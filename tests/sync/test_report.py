"""Reading the report's display strings (pure)."""

from __future__ import annotations

import pytest

from moodle_bridge.sync.report import (
    ParticipationRow,
    ReportLayoutError,
    TimeRange,
    layout,
    merge_rows,
    parse_display_time,
    parse_grade,
    parse_row,
    period_starts,
    straddles,
)

LAB_FULL = ["Course ID number", "Course short name", "Class hours", "Username", "ID number", "Cadre ID", "Work unit",
            "Status", "Time started", "Time ended", "Completed", "Time enrolled", "Time started", "Time completed",
            "Student progress", "Grade"]


def test_layout_of_the_lab_reports():
    full = layout(LAB_FULL)
    assert full.positions == {"course_idnumber": 0, "user_idnumber": 4, "enrol_status": 7, "enrol_timestart": 8,
                              "enrol_timeend": 9, "completed": 10, "time_completed": 13, "grade": 15}
    lean = layout(["Course ID number", "ID number", "Completed", "Time completed"])
    assert not lean.has("enrol_status")


def test_layout_names_what_is_missing():
    with pytest.raises(ReportLayoutError, match=r"'Time completed'.*Abgeschlossen"):
        layout(["Course ID number", "ID number", "Abgeschlossen"])


def test_display_time_in_the_users_time_zone():
    shown = parse_display_time("Sunday, 26 July 2026, 3:00 PM", "Asia/Shanghai")
    assert shown == TimeRange(1785049200, 1785049259)  # 07:00:00 to 07:00:59 UTC
    assert parse_display_time("Thursday, 31 December 2026, 11:59 PM", "Asia/Shanghai").last == 1798732799
    assert parse_display_time("", "Asia/Shanghai") is None
    with pytest.raises(ValueError, match="not a Moodle date"):
        parse_display_time("26/07/2026 15:00", "Asia/Shanghai")


def test_a_time_in_a_daylight_saving_fold_covers_both_instants():
    shown = parse_display_time("Sunday, 1 November 2026, 1:30 AM", "America/New_York")
    assert shown.last - shown.first == 3600 + 59


def test_minute_precision_never_straddles_a_midnight_boundary_but_a_fold_can():
    boundaries = period_starts(2026, 2027, "Asia/Shanghai")
    last_minute = parse_display_time("Thursday, 31 December 2026, 11:59 PM", "Asia/Shanghai")
    first_minute = parse_display_time("Friday, 1 January 2027, 12:00 AM", "Asia/Shanghai")
    assert not straddles(last_minute, boundaries) and not straddles(first_minute, boundaries)
    assert last_minute.last + 1 == boundaries[1] == first_minute.first
    fold = parse_display_time("Sunday, 1 November 2026, 1:30 AM", "America/New_York")
    assert straddles(fold, [fold.first + 1800])


def test_rows_parse_and_odd_cells_say_what_is_wrong():
    where = layout(LAB_FULL)
    row = ["CT2026-DG26-001", "DG26-001", "12.0", "cd260017", "CD260017", "CD260017", "Unit", "Active",
           "Monday, 8 June 2026, 1:39 PM", "", "Yes", "Monday, 8 June 2026, 1:39 PM",
           "Wednesday, 15 July 2026, 1:17 AM", "Sunday, 26 July 2026, 3:00 PM", "100.0%", "70.00"]
    parsed = parse_row(row, where, "Asia/Shanghai")
    assert (parsed.course_idnumber, parsed.user_idnumber, parsed.status, parsed.completed) == (
        "CT2026-DG26-001", "CD260017", "active", True)
    assert parsed.timeend is None and parsed.time_completed.first == 1785049200
    with pytest.raises(ValueError, match="unknown enrolment status 'Ausgesetzt'"):
        parse_row([*row[:7], "Ausgesetzt", *row[8:]], where, "Asia/Shanghai")
    with pytest.raises(ValueError, match="expected Yes, No or empty"):
        parse_row([*row[:10], "Ja", *row[11:]], where, "Asia/Shanghai")
    with pytest.raises(ValueError, match="'Time completed' is empty"):
        parse_row([*row[:13], "", *row[14:]], where, "Asia/Shanghai")
    with pytest.raises(ValueError, match="fewer than the report's columns"):
        parse_row(row[:8], where, "Asia/Shanghai")


def test_an_empty_completed_cell_is_an_enrolment_without_a_completion_record():
    # Recorded on a real Moodle 5.1: course_completions rows are created lazily, so a new (or a
    # suspended, or an ended) enrolment has none, and the report shows "" for both cells.
    where = layout(["Course ID number", "ID number", "Completed", "Time completed", "Status", "Time started",
                    "Time ended"])
    row = ["CT2026-PT26-001", "CD260184", "", "", "Suspended", "Tuesday, 24 March 2026, 12:00 AM", ""]
    parsed = parse_row(row, where, "Asia/Shanghai")
    assert (parsed.completed, parsed.time_completed, parsed.status) == (False, None, "inactive")


def test_grade_cells_as_moodle_formats_them():
    assert parse_grade("70.00") == 70.0
    assert parse_grade("70,50") == 70.5  # a language whose decimal separator is a comma
    assert parse_grade("1,234.50") == 1234.5 and parse_grade("1.234,50") == 1234.5
    assert parse_grade("1\u00a0234,50") == 1234.5
    assert parse_grade("") is None and parse_grade("-") is None
    for odd in ("A+", "70 %", "nan", "inf", "1e308"):
        with pytest.raises(ValueError, match="not a number"):
            parse_grade(odd)
    where = layout([*LAB_FULL])
    assert where.has("grade")
    row = ["C", "S", "2.0", "u", "U", "U", "Unit", "Active", "", "", "No", "", "", "", "0.0%", ""]
    assert parse_row(row, where, "Asia/Shanghai").grade is None


def _row(status, start, end, completed=False):
    return ParticipationRow("C", "U", status, start, end, completed, TimeRange(5, 64) if completed else None)


def test_several_enrolment_instances_merge_into_one_learner():
    merged = dict(merge_rows([(7, _row("inactive", 100, 200)), (7, _row("active", 50, None, True)),
                              (8, _row("inactive", 10, 20))]))
    assert merged[7].status == "active" and merged[7].timestart == 50 and merged[7].timeend is None
    assert merged[7].completed and merged[8].status == "inactive"


def test_a_grade_too_large_to_be_a_number_is_a_rejected_cell_not_infinity():
    with pytest.raises(ValueError, match="too large to be a grade"):
        parse_grade("9" * 400)

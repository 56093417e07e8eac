"""The targets file, checked as a table: English or Chinese headers, percents as shares, blank targets, and every
problem with its line."""

from __future__ import annotations

import pytest

from moodle_bridge.rules.assessment import UnitTargets
from moodle_bridge.rules.assessment_targets import target_rows, template_header, unknown_units
from moodle_bridge.rules.offline import ImportError_

ENGLISH = template_header("en")
CHINESE = template_header("zh_CN")


def test_english_and_chinese_headers_give_the_same_targets():
    rows = [[" UNIT-001 ", "Datang", "90", "40", "85%", "2"], ["UNIT-002", "Xinxing", "", "", "", ""]]
    english = target_rows([(1, ENGLISH), *((n, r) for n, r in enumerate(rows, start=2))], "t.csv")
    chinese = target_rows([(1, CHINESE), *((n, r) for n, r in enumerate(rows, start=2))], "t.csv")
    assert english == chinese == [(2, UnitTargets("UNIT-001", 0.9, 40.0, 0.85, 2.0)), (3, UnitTargets("UNIT-002"))]


def test_a_file_with_some_columns_only_and_numbers_from_excel():
    table = [(1, ["单位代码", "人均学时"]), (2, ["U1", 42.5]), (3, ["U2", 0])]
    assert target_rows(table, "t.xlsx") == [(2, UnitTargets("U1", hours_per_cadre=42.5)),
                                            (3, UnitTargets("U2", hours_per_cadre=0.0))]


def test_every_bad_row_is_named_with_its_line_and_nothing_is_given():
    table = [(1, ENGLISH), (2, ["U1", "", "95", "", "", ""]), (3, ["", "", "90", "", "", ""]),
             (5, ["U2", "", "120", "-3", "abc", "1.5"]), (6, ["U1", "", "", "nan", "", ""]),
             (7, ["U3", "", "", "20000", "", "200000"])]
    with pytest.raises(ImportError_) as caught:
        target_rows(table, "t.csv")
    assert caught.value.problems == [
        "t.csv:3: no unit code",
        "t.csv:5: completion rate 120 is more than 100 (write a percent: 90 for 90%); hours per cadre -3 is negative;"
        " required courses 'abc' is not a number; organised trainings 1.5 is not a whole number up to 100,000",
        "t.csv:6: unit code 'U1' is given twice (first on line 2); hours per cadre 'nan' is not a number",
        "t.csv:7: hours per cadre 20000 is more than 10,000; organised trainings 200000 is not a whole number up to "
        "100,000"]


def test_a_file_without_the_columns_says_which_and_where_to_get_them():
    with pytest.raises(ImportError_) as caught:
        target_rows([(1, ["unit", "score"]), (2, ["U1", "3"])], "t.csv")
    assert caught.value.problems == ["t.csv:1: missing column(s): unit code, at least one target (write a template "
                                     "with `moodle-bridge targets template`)"]
    with pytest.raises(ImportError_, match="the file is empty"):
        target_rows([], "t.csv")
    with pytest.raises(ImportError_, match="no unit's targets"):
        target_rows([(1, ENGLISH)], "t.csv")


def test_units_the_mirror_lacks_are_named_by_line():
    assert unknown_units([(2, "U1"), (3, "U9")], {"U1"}, "t.csv") == [
        "t.csv:3: unit code 'U9' is not a unit in the mirror (a typo, or not synced yet?)"]
    assert unknown_units([(2, "U1")], set(), "t.csv") == [
        "t.csv: the mirror holds no units yet: run `moodle-bridge sync` first"]

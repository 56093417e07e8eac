"""The unit tree (rules/units.py), its files (rules/unit_files.py) and cadres' units through time
(rules/memberships.py): pure."""

from __future__ import annotations

from datetime import date

import pytest

from moodle_bridge.rules.memberships import Spell, from_transfers, next_change, sighting, timeline, unit_on
from moodle_bridge.rules.offline import ImportError_
from moodle_bridge.rules.unit_files import transfer_rows, unit_rows
from moodle_bridge.rules.units import FLAT, Unit, UnitTree, from_code_prefix, from_cohort_field, from_paths

THREE_LEVELS = [Unit("CTY", "County", None), Unit("T1", "Datang", "CTY"), Unit("T2", "Xinxing", "CTY"),
                Unit("T1-O1", "Party Office", "T1"), Unit("T1-O2", "Finance Office", "T1")]


def test_a_tree_knows_each_units_path_depth_and_subtree():
    tree = UnitTree.of(THREE_LEVELS)
    assert not tree.problems
    assert tree.path("T1-O2") == ["CTY", "T1", "T1-O2"] and tree.depth("T1-O2") == 2 and tree.depth("CTY") == 0
    assert tree.subtree("T1") == {"T1", "T1-O1", "T1-O2"}
    assert tree.subtree("T2") == {"T2"}
    assert tree.subtrees(["T1", "T2"]) == {"T1", "T1-O1", "T1-O2", "T2"}
    # each unit followed by those below it, by name; ancestors of the codes asked for come along
    assert tree.ordered(["T1-O1", "T2"]) == ["CTY", "T1", "T1-O1", "T2"]
    assert tree.ordered(tree.units) == ["CTY", "T1", "T1-O2", "T1-O1", "T2"]  # "Finance" before "Party"


def test_a_cadres_unit_is_their_deepest_cohort_in_the_tree():
    tree = UnitTree.of(THREE_LEVELS)
    assert tree.deepest(["T1", "T1-O1"]) == "T1-O1"
    assert tree.deepest(["LEADERS", "T2"]) == "T2"  # a cohort that is no unit (a group of leaders) loses
    assert tree.deepest(["T1-O1", "T1-O2"]) == "T1-O1"  # equals: the first (by cohort id)
    assert tree.deepest([]) is None


def test_a_missing_parent_a_circle_and_a_code_twice_are_problems_and_still_a_tree():
    tree = UnitTree.of([Unit("A", "A", "B"), Unit("B", "B", "C"), Unit("C", "C", "A"), Unit("D", "D", "NOPE"),
                        Unit("D", "D again", None), Unit("E", "E", "E")])
    words = " ".join(tree.problems)
    assert "NOPE" in words and "not a unit" in words
    assert "circle" in words and "given twice" in words
    assert tree.parent("D") is None and tree.parent("E") is None  # a unit its own parent is a top unit
    for code in "ABCDE":  # every path ends: no circle is left
        assert len(tree.path(code)) <= 3


def test_a_flat_tree_is_false_and_every_unit_its_own_subtree():
    assert not FLAT
    assert FLAT.subtree("U1") == {"U1"} and FLAT.path("U1") == ["U1"] and FLAT.deepest(["U2", "U1"]) == "U2"


def test_the_fingerprint_follows_the_tree_not_the_order_given():
    one, two = UnitTree.of(THREE_LEVELS), UnitTree.of(list(reversed(THREE_LEVELS)))
    assert one.digest() == two.digest()
    assert UnitTree.from_rows(one.rows()) == one
    moved = UnitTree.of([*THREE_LEVELS[:-1], Unit("T1-O2", "Finance Office", "T2")])
    assert moved.digest() != one.digest()


def test_the_cohort_field_source_reads_the_parents_cohort_id():
    tree = from_cohort_field([("CTY", "County", None), ("T1", "Datang", {"parent_unit": " CTY "}),
                              ("T1-O1", "Party Office", {"parent_unit": "T1", "other": "x"}),
                              ("LEADERS", "Leaders", {})], "parent_unit")
    assert tree.path("T1-O1") == ["CTY", "T1", "T1-O1"] and tree.parent("LEADERS") is None


def test_the_code_prefix_source_takes_the_longest_unit_code_before_a_separator():
    tree = from_code_prefix([("CTY", "County"), ("CTY-T01", "Datang"), ("CTY-T01-O02", "Office"),
                             ("CTY-T02-O01", "Orphan office")], "-")
    assert tree.path("CTY-T01-O02") == ["CTY", "CTY-T01", "CTY-T01-O02"]
    assert tree.parent("CTY-T02-O01") == "CTY"  # CTY-T02 is no unit: the next code up


def test_the_profile_path_source_makes_every_unit_on_a_path():
    tree = from_paths(["County / Datang Town / Party Office", "County/Datang Town", "County / Xinxing Town"], "/")
    assert tree.path("County/Datang Town/Party Office") == ["County", "County/Datang Town",
                                                            "County/Datang Town/Party Office"]
    assert tree.name("County/Datang Town/Party Office") == "Party Office"
    assert tree.parent("County/Xinxing Town") == "County"


def test_the_units_file_is_checked_line_by_line():
    table = [(1, ["单位代码", "单位名称", "上级单位代码"]), (2, ["CTY", "县委", ""]), (3, ["T1", "大塘镇", "CTY"]),
             (4, [101.0, "Office", "T1"])]
    tree = unit_rows(table, "units.xlsx")
    assert tree.path("101") == ["CTY", "T1", "101"]  # a number typed into Excel is the code it reads as
    with pytest.raises(ImportError_) as bad:
        unit_rows([(1, ["unit code", "unit name", "parent unit code"]), (2, ["", "No code", ""]),
                   (3, ["A", "A", "B"]), (4, ["A", "A again", ""]), (5, ["C", "C", "C"])], "units.csv")
    assert bad.value.problems == ["units.csv:2: no unit code", "units.csv:4: unit code A is on line 3 already",
                                  "units.csv:5: unit C names itself as its parent",
                                  "units.csv:3: parent unit code B is not a unit of the file"]
    with pytest.raises(ImportError_, match="circle"):
        unit_rows([(1, ["unit code", "unit name", "parent unit code"]), (2, ["A", "A", "B"]), (3, ["B", "B", "A"])],
                  "units.csv")
    with pytest.raises(ImportError_, match=r"missing column.*parent unit code"):
        unit_rows([(1, ["unit code", "unit name"])], "units.csv")


def test_the_transfers_file_is_checked_line_by_line():
    rows = transfer_rows([(1, ["干部编号", "单位代码", "调入日期"]), (2, ["C1", "T2", "2026-06-15"]),
                          (3, ["C1", "T1", date(2025, 1, 1)])], "moves.xlsx")
    assert [(t.line, t.cadre_id, t.unit, t.start) for t in rows] == [
        (2, "C1", "T2", date(2026, 6, 15)), (3, "C1", "T1", date(2025, 1, 1))]
    with pytest.raises(ImportError_) as bad:
        transfer_rows([(1, ["cadre id", "unit code", "from"]), (2, ["", "T1", "2026-01-01"]),
                       (3, ["C1", "", "someday"]), (4, ["C2", "T1", "2026-02-01"]), (5, ["C2", "T2", "2026-02-01"])],
                      "moves.csv")
    assert bad.value.problems == [
        "moves.csv:2: no cadre id", "moves.csv:3: no unit code; from 'someday' is not a date (YYYY-MM-DD)",
        "moves.csv:5: cadre C2 moves on 2026-02-01 on line 4 already"]


def test_a_cadre_counts_in_the_transfers_files_unit_of_the_day_then_moodles():
    moves = from_transfers([("T2", date(2026, 6, 15)), ("T1", date(2025, 1, 1))])
    assert moves == [Spell("T1", date(2025, 1, 1), date(2026, 6, 14), "file"), Spell("T2", date(2026, 6, 15), None,
                                                                                     "file")]
    seen = [Spell("OLD", None, date(2024, 12, 31), "moodle"), Spell("T2", date(2025, 1, 1), None, "moodle")]
    spells = [*moves, *seen]
    assert unit_on(date(2026, 6, 14), spells, "NOW") == "T1"
    assert unit_on(date(2026, 6, 15), spells, "NOW") == "T2"
    assert unit_on(date(2024, 6, 1), spells, "NOW") == "OLD"  # before the file's first move: as Moodle showed
    assert unit_on(date(2024, 6, 1), [], "NOW") == "NOW"
    assert next_change(date(2026, 3, 1), spells) == date(2026, 6, 15)
    assert next_change(date(2026, 6, 15), spells) is None


def test_an_evaluation_notes_a_move_it_sees_in_moodle_once():
    first = sighting(date(2026, 3, 1), [], "T1")
    assert (first.close, first.opens, first.open_from) == (False, True, None)  # since ever: nothing known before
    seen = [Spell("T1", None, None, "moodle")]
    assert not sighting(date(2026, 3, 2), seen, "T1").opens  # the same unit
    moved = sighting(date(2026, 6, 16), seen, "T2")
    assert (moved.close, moved.opens, moved.open_from) == (True, True, date(2026, 6, 16))
    later = [Spell("T1", None, date(2026, 6, 15), "moodle"), Spell("T2", date(2026, 6, 16), None, "moodle")]
    earlier_day = sighting(date(2026, 5, 1), later, "T2")  # an evaluation of an earlier day changes no history
    assert not earlier_day.close and not earlier_day.opens


def test_the_transfers_files_last_move_lasts_until_moodle_shows_another():
    moves = from_transfers([("B", date(2026, 3, 1))])
    seen = [Spell("A", None, date(2027, 4, 30), "moodle"), Spell("D", date(2027, 5, 1), None, "moodle")]
    assert unit_on(date(2026, 6, 1), [*moves, *seen], "D") == "B"
    assert unit_on(date(2027, 6, 1), [*moves, *seen], "D") == "D"  # Moodle's later move takes over


def test_before_the_files_first_move_moodles_move_into_that_unit_is_the_files_to_date():
    moves = from_transfers([("B", date(2026, 3, 10))])
    seen = [Spell("A", None, date(2026, 2, 28), "moodle"), Spell("B", date(2026, 3, 1), None, "moodle")]
    spells = [*moves, *seen]
    assert [unit_on(date(2026, 3, d), spells, "B") for d in (5, 9, 10)] == ["A", "A", "B"]
    assert [(s.unit_code, s.start, s.end) for s in timeline(spells, "B")] == [
        ("A", None, date(2026, 3, 9)), ("B", date(2026, 3, 10), None)]


def test_a_different_unit_under_a_changed_placing_is_a_new_name_not_a_move():
    seen = [Spell("CTY", None, None, "moodle")]
    renamed = sighting(date(2026, 7, 31), seen, "T1-O1", renamed=True)
    assert (renamed.rekey, renamed.close, renamed.opens) == (True, False, False)


def test_the_placing_fingerprint_ignores_names_lone_cohorts_and_moves_at_the_same_depth():
    tree = UnitTree.of(THREE_LEVELS)
    same = [UnitTree.of([*THREE_LEVELS, Unit("CLASS", "2026 new cadres' class")]),  # a cohort that is no unit
            UnitTree.of([Unit(u.code, u.name + " (renamed)", u.parent) for u in THREE_LEVELS]),
            UnitTree.of([*THREE_LEVELS[:-1], Unit("T1-O2", "Finance Office", "T2")])]  # as deep under T2
    assert {t.placing_digest() for t in same} == {tree.placing_digest()}
    deeper = UnitTree.of([*THREE_LEVELS[:-1], Unit("T1-O2", "Finance Office", "T1-O1")])
    assert deeper.placing_digest() != tree.placing_digest() and FLAT.placing_digest() is None
    assert UnitTree.of([Unit("A", "A", "A")]).problems  # a unit its own parent is a problem, said

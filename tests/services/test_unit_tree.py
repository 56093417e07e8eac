"""Evaluations with a unit tree (issue 14): figures roll up at every level, a unit's lists take the units below it,
and a cadre who moves counts in the unit of the as-of day, before and after the move."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from moodle_bridge import results
from moodle_bridge.results import CadreQuery
from moodle_bridge.rules.offline import ImportError_
from moodle_bridge.rules.unit_files import Transfer
from moodle_bridge.rules.units import Unit, UnitTree
from moodle_bridge.services.evaluation import evaluate
from moodle_bridge.services.units import import_transfers, import_units_file
from moodle_bridge.store.held import held_in
from moodle_bridge.store.schema import evaluation_results, evaluations, mirror_cohort_members, mirror_cohorts

from ..tree_store import AS_OF, BELOW, CADRES, cadres_below, tree_rules, tree_store


def _unit_of(engine, cadre_id: str, evaluation_id: int) -> str:
    with engine.connect() as c:
        return c.execute(sa.select(evaluation_results.c.unit_code).where(
            held_in(evaluation_results, evaluation_id), evaluation_results.c.cadre_id == cadre_id)).scalar_one()


def _move_in_moodle(engine, user_id: int, to_cohort: int) -> None:
    with engine.begin() as c:
        c.execute(sa.delete(mirror_cohort_members).where(mirror_cohort_members.c.user_id == user_id))
        c.execute(sa.insert(mirror_cohort_members).values(cohort_id=to_cohort, user_id=user_id))


def test_every_level_adds_up_the_units_below_it(db_url):
    engine = tree_store(db_url)
    with engine.connect() as c:
        table = results.units(c)
        rows = {u.code: u for u in table.units}
        assert [(u.code, u.depth, u.parent) for u in table.units] == [
            ("CTY", 0, None), ("T1", 1, "CTY"), ("T1-O2", 2, "T1"), ("T1-O1", 2, "T1"), ("T2", 1, "CTY")]
        for code, below in BELOW.items():
            assert rows[code].cadres == len(cadres_below(code)), code
            assert rows[code].flags == sum(rows[u].flags for u in below if u in rows and rows[u].parent == code) + (
                results.unit_rates(c, table.evaluation.id)[code].flags)
        assert table.total.cadres == len(CADRES) == rows["CTY"].cadres  # each cadre counted once
        assert results.rolled_rates(c, table.evaluation.id)["T1"].cadres == 4
        assert results.unit_rates(c, table.evaluation.id)["T1"].cadres == 1  # its own
        one = results.units(c, unit="Datang Town")  # by name: the township and its offices
        assert [u.code for u in one.units] == ["T1", "T1-O2", "T1-O1"] and one.total.cadres == 4
        assert c.execute(sa.select(evaluations.c.unit_tree)).scalar() == results.unit_tree(
            c, table.evaluation.id).digest()


def test_a_units_list_and_files_take_the_units_below_it_and_a_scope_is_a_subtree(tmp_path):
    engine = tree_store(tmp_path / "s.db")
    with engine.connect() as c:
        evaluation = results.latest(c)
        scope = results.reach(c, ["T1"])
        assert set(scope) == BELOW["T1"]
        listed = {r.result.cadre_id for r in results.flagged_cadres(c, evaluation.id, None, CadreQuery(unit_code="T1"))}
        assert listed == cadres_below("T1")
        page = results.flagged_page(c, evaluation.id, scope, CadreQuery(unit_code="T1"))
        assert page.total == len(cadres_below("T1")) == len(page.rows)
        assert {r.result.cadre_id for r in results.flagged_cadres(c, evaluation.id, scope)} == cadres_below("T1")
        assert {f.result.cadre_id for f in results.unit_files(c, "T1", units=scope)} == cadres_below("T1")
        with pytest.raises(KeyError):
            results.unit_files(c, "T2", units=scope)
        assert {code for code, _name in results.unit_names(c, evaluation.id)} == BELOW["CTY"]
        assert {code for code, _name in results.unit_names(c, evaluation.id, scope)} == BELOW["T1"]
        dashboard = results.dashboard(c, scope)
        assert [(u.code, u.depth) for u in dashboard.units] == [("T1", 0), ("T1-O2", 1), ("T1-O1", 1)]
        assert dashboard.rates.total.cadres == 4


def test_moving_a_unit_to_another_parent_moves_its_figures_and_judges_only_its_cadres(db_url):
    engine = tree_store(db_url)
    with engine.begin() as c:
        c.execute(sa.update(mirror_cohorts).where(mirror_cohorts.c.idnumber == "T1-O2")
                  .values(customfields={"parent_unit": "T2"}))
    summary = evaluate(engine, tree_rules(), "2026", AS_OF)
    # no cadre is placed elsewhere (the office is as deep as before): its cadre is judged for the cohort's change only
    assert summary.incremental and summary.judged == 1
    with engine.connect() as c:
        rows = {u.code: u for u in results.units(c).units}
    assert (rows["T1"].cadres, rows["T2"].cadres, rows["T1-O2"].parent) == (3, 3, "T2")


def test_a_transfer_counts_the_cadre_in_the_old_unit_before_the_move_and_in_the_new_one_after(db_url):
    engine = tree_store(db_url)  # evaluated as of 2026-06-30: O2a in the finance office
    moves = [Transfer(2, "O2a", "T1-O2", date(2026, 1, 1)), Transfer(3, "O2a", "T2", date(2026, 7, 15))]
    assert import_transfers(engine, moves, tree_rules().rules.cadres, "moves.xlsx") == 1
    _move_in_moodle(engine, 14, 3)  # and Moodle's administrator moved them to Xinxing Town's cohort

    before = evaluate(engine, tree_rules(), "2026", AS_OF)
    assert before.incremental and before.judged == 1  # the moves are O2a's facts: only O2a is judged
    assert _unit_of(engine, "O2a", before.evaluation_id) == "T1-O2"
    with engine.connect() as c:
        rows = {u.code: u.cadres for u in results.units(c).units}
    assert (rows["T1"], rows["T1-O2"], rows["T2"]) == (4, 1, 2)

    with engine.connect() as c:  # their result holds until the day before the move, at the latest
        assert c.execute(sa.select(evaluation_results.c.recheck_at).where(
            held_in(evaluation_results, before.evaluation_id), evaluation_results.c.cadre_id == "O2a")).scalar() <= (
            int(datetime(2026, 7, 15, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()) - 1)
    after = evaluate(engine, tree_rules(), "2026", date(2026, 7, 20))
    assert after.incremental
    assert _unit_of(engine, "O2a", after.evaluation_id) == "T2"
    with engine.connect() as c:
        table = results.units(c)
        rows = {u.code: u.cadres for u in table.units}
        assert (rows["T1"], rows["T2"]) == (3, 3) and "T1-O2" not in rows and table.total.cadres == 7
        history = results.cadre_file(c, "O2a").units
    assert [(s.code, s.name, s.start, s.end, s.from_file) for s in history] == [
        ("T1-O2", "Datang Finance Office", None, date(2026, 7, 14), False),  # Moodle's sighting, then the file's
        ("T2", "Xinxing Town", date(2026, 7, 15), None, True)]

    again = evaluate(engine, tree_rules(), "2026", date(2026, 7, 10))  # the units "as of" a day before the move
    assert not again.incremental and _unit_of(engine, "O2a", again.evaluation_id) == "T1-O2"


def test_a_move_seen_in_moodle_dates_from_the_evaluation_that_saw_it(db_url):
    engine = tree_store(db_url)  # as of 2026-06-30: O1a in the party office
    _move_in_moodle(engine, 12, 3)
    moved = evaluate(engine, tree_rules(), "2026", date(2026, 7, 1))
    assert _unit_of(engine, "O1a", moved.evaluation_id) == "T2"
    earlier = evaluate(engine, tree_rules(), "2026", date(2026, 6, 20))
    assert _unit_of(engine, "O1a", earlier.evaluation_id) == "T1-O1"
    with engine.connect() as c:
        history = results.cadre_file(c, "O1a").units
    assert [(s.code, s.start, s.end, s.from_file) for s in history] == [
        ("T1-O1", None, date(2026, 6, 30), False), ("T2", date(2026, 7, 1), None, False)]


def test_a_transfer_to_a_unit_or_of_a_cadre_that_is_none_imports_nothing(tmp_path):
    engine = tree_store(tmp_path / "s.db")
    with pytest.raises(ImportError_) as bad:
        import_transfers(engine, [Transfer(2, "NOBODY", "T1", date(2026, 1, 1)),
                                  Transfer(3, "O1a", "T9", date(2026, 1, 1))], tree_rules().rules.cadres, "m.csv")
    assert [p.split(":")[1] for p in bad.value.problems] == ["2", "3"]
    assert "not a unit" in bad.value.problems[1]


@pytest.mark.parametrize("source", ["code_prefix", "file"])
def test_the_other_sources_give_the_same_roll_up(tmp_path, source):
    engine = tree_store(tmp_path / "s.db", evaluated=False)
    if source == "file":
        import_units_file(engine, UnitTree.of([Unit("CTY", "County Government"), Unit("T1", "Datang Town", "CTY"),
                                               Unit("T1-O1", "Datang Party Office", "T1"),
                                               Unit("T1-O2", "Datang Finance Office", "T1"),
                                               Unit("T2", "Xinxing Town", "CTY")]), "units.xlsx")
    evaluate(engine, tree_rules(source), "2026", AS_OF)
    with engine.connect() as c:
        rows = {u.code: u for u in results.units(c).units}
    assert rows["T1"].cadres == 4
    if source == "file":
        assert rows["CTY"].cadres == 7
    else:  # "CTY" does not start the townships' codes: each township is a top unit
        assert rows["T1"].parent is None and rows["CTY"].cadres == 1


def test_editing_the_assessment_or_the_promotion_section_judges_no_one_again(tmp_path):
    """They score units and read results; no cadre's result depends on them."""
    from moodle_bridge.rules.loader import parse_rules

    engine = tree_store(tmp_path / "s.db")
    text = tree_rules().text + ("\nassessment:\n  weights: {completion_rate: 70, hours_per_cadre: 30, "
                                "required_courses: 0, organised_trainings: 0}\n  partial: none\npromotion:\n"
                                "  periods: 2\n")
    again = evaluate(engine, parse_rules(text, "rules.yaml"), "2026", AS_OF)
    assert again.incremental and again.judged == 0


def test_a_rerun_of_an_earlier_day_notes_no_move_and_counts_the_unit_of_that_day(db_url):
    engine = tree_store(db_url)  # as of 2026-06-30: O1a in the party office
    evaluate(engine, tree_rules(), "2026", date(2026, 7, 31))
    _move_in_moodle(engine, 12, 3)
    earlier = evaluate(engine, tree_rules(), "2026", date(2026, 7, 15))
    assert _unit_of(engine, "O1a", earlier.evaluation_id) == "T1-O1"  # when the move happened is not known
    with engine.connect() as c:
        assert results.cadre_file(c, "O1a").units == []  # nothing noted: one unit so far
    later = evaluate(engine, tree_rules(), "2026", date(2026, 8, 1))
    assert _unit_of(engine, "O1a", later.evaluation_id) == "T2"


def test_turning_the_tree_on_places_cadres_anew_without_dating_moves(tmp_path):
    """A cadre in the county's cohort and an office's: the first cohort without a tree, the office with one. The
    same membership under another name, not a move on the day the tree came."""
    engine = tree_store(tmp_path / "s.db", evaluated=False)
    with engine.begin() as c:
        c.execute(sa.insert(mirror_cohort_members).values(cohort_id=1, user_id=12))  # O1a: the county's cohort too
    flat = tree_rules().text.replace(", tree: {source: cohort_field, field: parent_unit}}", "}")
    from moodle_bridge.rules.loader import parse_rules

    first = evaluate(engine, parse_rules(flat, "rules.yaml"), "2026", AS_OF)
    assert _unit_of(engine, "O1a", first.evaluation_id) == "CTY"
    tree = evaluate(engine, tree_rules(), "2026", date(2026, 7, 31))
    assert not tree.incremental and _unit_of(engine, "O1a", tree.evaluation_id) == "T1-O1"
    earlier = evaluate(engine, tree_rules(), "2026", date(2026, 7, 15))
    assert _unit_of(engine, "O1a", earlier.evaluation_id) == "T1-O1"
    with engine.connect() as c:
        assert results.cadre_file(c, "O1a").units == []


def test_a_new_or_renamed_cohort_that_is_no_unit_judges_no_one_again(tmp_path):
    engine = tree_store(tmp_path / "s.db")
    with engine.begin() as c:
        c.execute(sa.insert(mirror_cohorts).values(id=9, name="2026 new cadres' class", idnumber="CLASS-2026",
                                                   visible=True))
    assert evaluate(engine, tree_rules(), "2026", AS_OF).incremental
    with engine.begin() as c:
        c.execute(sa.update(mirror_cohorts).where(mirror_cohorts.c.id == 9).values(name="New cadres 2026"))
    again = evaluate(engine, tree_rules(), "2026", AS_OF)
    assert again.incremental and again.judged == 0

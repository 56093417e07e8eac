"""The year-end assessment's figures, read from the store and worked out by hand: the share of cadres with their
required courses done (from the units' tallies, exactly where a cadre carries two such flags, and from the results
of an evaluation without tallies), the trainings a unit organised (by name or code, distinct, in the period, withdrawn
rows apart), the weights of the rules that judged, a reviewer's scope keeping the county's ranks; on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from moodle_bridge.results import NoEvaluation
from moodle_bridge.results.assessment import assessed_periods, year_assessment
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import (
    OPEN,
    evaluation_flags,
    evaluation_results,
    evaluations,
    mirror_cohorts,
    offline_records,
    rules_files,
)
from moodle_bridge.store.unit_tallies import Contribution, tally, write_tallies
from moodle_bridge.store.unit_targets import StoredTargets, replace_targets

from ..conftest import count_flags

NOW = datetime(2026, 12, 31, tzinfo=UTC)
RULES = (Path(__file__).parents[1] / "rules" / "small_rules.yaml").read_text(encoding="utf-8")
WEIGHTED = RULES + "assessment:\n  weights: {required_courses: 1, organised_trainings: 1}\n  partial: none\n"

# (cadre, unit code, unit name, status, flags): Alpha 4 counted (one exempt); A2 has two required-course flags
# (two requirements), A3 one, A4 completed late only (done); Beta 2 counted, B1 failed an assessment
CADRES = [("A1", "U1", "Alpha", "compliant", []),
          ("A2", "U1", "Alpha", "non_compliant", ["overdue_required_course", "failed_assessment"]),
          ("A3", "U1", "Alpha", "non_compliant", ["overdue_required_course"]),
          ("A4", "U1", "Alpha", "at_risk", ["completed_late", "insufficient_hours"]),
          ("A5", "U1", "Alpha", "exempt", []),
          ("B1", "U2", "Beta", "at_risk", ["failed_assessment"]),
          ("B2", "U2", "Beta", "compliant", []),
          ("C1", "U3", "Gamma", "exempt", [])]
# (organiser, training, start, end, withdrawn): Alpha organised 2 trainings in 2026 (one for two cadres, one under
# its code in capitals), not the one of 2025 nor the withdrawn one; Beta one
TRAININGS = [("Alpha", "Study session", date(2026, 3, 1), date(2026, 3, 1), False),
             ("  alpha ", "Study session", date(2026, 3, 1), date(2026, 3, 1), False),
             ("u1", "Drill", date(2026, 5, 1), date(2026, 5, 2), False),
             ("Alpha", "Old course", date(2025, 5, 1), date(2025, 5, 2), False),
             ("Alpha", "Entered by mistake", date(2026, 6, 1), date(2026, 6, 1), True),
             ("Beta", "Seminar", date(2026, 12, 30), date(2027, 1, 2), False),
             ("Beta", "Workshop", date(2026, 9, 1), date(2026, 9, 1), False),
             ("County Party School", "Spring course", date(2026, 3, 1), date(2026, 3, 5), False)]


def build(engine, tallied: bool, rules_text: str | None = RULES) -> None:
    with engine.begin() as c:
        if rules_text is not None:
            c.execute(sa.insert(rules_files).values(rules_hash="r", text=rules_text, first_used_at=NOW))
        c.execute(sa.insert(evaluations).values(id=1, period="2026", as_of=date(2026, 12, 31), rules_hash="r",
                                                exemptions_hash="e", created_at=NOW, counts={}, tallied=tallied))
        c.execute(sa.insert(evaluation_results), [
            {"since_evaluation": 1, "period": "2026", "until_evaluation": OPEN, "cadre_id": cadre, "user_id": n,
             "name": cadre, "unit_code": code, "unit_name": name, "groups": ["township"], "status": status,
             "hours_online": 30, "hours_offline": 10, "required_hours": 40}
            for n, (cadre, code, name, status, _flags) in enumerate(CADRES)])
        c.execute(sa.insert(evaluation_flags), [
            {"since_evaluation": 1, "period": "2026", "cadre_id": cadre, "kind": kind, "group_name": "township",
             "rule": "r", "evidence": {}} for cadre, *_rest, flags in CADRES for kind in flags])
        count_flags(c)
        if tallied:
            write_tallies(c, 1, "2026", tally(Contribution(code, name, status, 40.0, [(k, "township") for k in flags])
                                              for _cadre, code, name, status, flags in CADRES), None)
        c.execute(sa.insert(offline_records), [
            {"row_key": f"k{n}", "cadre_id": "A1", "training": training, "organiser": organiser, "start": start,
             "end": end, "days": 1, "hours": None, "leave_hours": 0, "source_file": "o.csv", "line": n,
             "imported_at": NOW, "withdrawn_at": NOW if withdrawn else None}
            for n, (organiser, training, start, end, withdrawn) in enumerate(TRAININGS)])
        c.execute(sa.insert(mirror_cohorts).values(id=9, name="Theta", idnumber="U9", visible=True))
        replace_targets(c, "2026", [StoredTargets(code, rate, hours, required, organised, NOW, "t.csv", n) for n, (
            code, rate, hours, required, organised) in enumerate([("U1", 0.25, 40.0, 0.5, 2), ("U2", 0.6, None, 0.5, 3),
                                                                  ("U3", 0.9, None, None, None),
                                                                  ("U9", 0.9, None, None, 1)])])


@pytest.fixture(params=[True, False], ids=["tallied", "from results"])
def engine(db_url, request):
    engine = connect(db_url)
    upgrade(engine)
    build(engine, request.param)
    yield engine
    engine.dispose()


def test_the_figures_of_each_unit(engine):
    with engine.connect() as c:
        found = {u.code: u for u in year_assessment(c).units}
    alpha, beta = found["U1"], found["U2"]
    # Alpha: 1 compliant of 4 counted = 25%; 40 hours each; 2 of 4 without a course missing (A1, A4) = 50%;
    # trainings: the study session (once) and the drill
    assert [(t.target, t.actual, t.met) for t in alpha.targets] == [
        ("completion_rate", 0.25, True), ("hours_per_cadre", 40.0, True), ("required_courses", 0.5, True),
        ("organised_trainings", 2.0, True)]
    assert alpha.score == 100.0 and alpha.rank == 1
    # Beta: 1 of 2 = 50% (target 60%: 40 x 50/60 = 33.3 of 57.1...); 1 of 2 done; trainings 1 of 3 (the seminar ends
    # in 2027): weights 40, 20, 10 of 70
    assert [(t.target, t.actual, t.met, t.points) for t in beta.targets] == [
        ("completion_rate", 0.5, False, 47.6), ("required_courses", 0.5, True, 28.6),
        ("organised_trainings", 1.0, False, 4.8)]
    assert (beta.score, beta.rank) == (81.0, 2)
    # Gamma: everyone exempt, nobody counted; Theta: targets, no cadres in the evaluation, named by its cohort
    assert (found["U3"].standing, found["U3"].name, found["U3"].rank) == ("no_cadres", "Gamma", None)
    assert (found["U9"].standing, found["U9"].name) == ("no_cadres", "Theta")


def test_a_reviewer_sees_their_units_with_the_rank_they_have_among_all(engine):
    with engine.connect() as c:
        every = year_assessment(c)
        some = year_assessment(c, "2026", ["U2"])
    assert [u.code for u in every.units] == ["U1", "U2", "U3", "U9"]
    assert [(u.code, u.rank) for u in some.units] == [("U2", 2)]
    assert (every.targets_file, every.first_day, every.last_day) == ("t.csv", date(2026, 1, 1), date(2026, 12, 31))
    assert every.weights == {"completion_rate": 40, "hours_per_cadre": 30, "required_courses": 20,
                             "organised_trainings": 10}


def test_the_weights_are_those_of_the_rules_that_judged(db_url):
    engine = connect(db_url)
    upgrade(engine)
    build(engine, True, WEIGHTED)
    with engine.connect() as c:
        found = {u.code: u for u in year_assessment(c).units}
        assert assessed_periods(c) == ["2026"]
    # Beta: required courses met (50 of 50), trainings 1 of 3 scores nothing (partial: none)
    assert [(t.target, t.points) for t in found["U2"].targets] == [
        ("completion_rate", 0.0), ("required_courses", 50.0), ("organised_trainings", 0.0)]
    assert found["U2"].score == 50.0
    engine.dispose()


def test_without_kept_rules_the_default_weights_and_without_evaluation_no_assessment(db_url):
    engine = connect(db_url)
    upgrade(engine)
    with engine.connect() as c, pytest.raises(NoEvaluation):
        year_assessment(c)
    build(engine, False, None)
    with engine.connect() as c:
        found = year_assessment(c)
    assert not found.judged_by_kept_rules and found.weights["completion_rate"] == 40
    engine.dispose()


def test_with_a_unit_tree_a_township_is_assessed_with_its_offices(tmp_path):
    """A township's figures include its offices': its cadres, those with a required course not completed, and the
    trainings its offices organised (the same training organised by both counts once)."""
    from moodle_bridge.results import rolled_rates
    from moodle_bridge.store.schema import offline_records

    from ..tree_store import tree_store

    store = tree_store(tmp_path / "tree.db", evaluated=False)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with store.begin() as c:
        c.execute(sa.insert(offline_records), [
            {"row_key": key, "cadre_id": cadre, "training": training, "organiser": organiser,
             "start": date(2026, 5, 1), "end": date(2026, 5, 2), "days": 2.0, "hours": None, "leave_hours": 0.0,
             "source_file": "t.xlsx", "line": n, "imported_at": now}
            for n, (key, cadre, organiser, training) in enumerate([
                ("k1", "O1a", "Datang Party Office", "Party history"), ("k2", "O1b", "T1-O1", "Party history"),
                ("k3", "T1a", "Datang Town", "Rural revitalisation")])])
        replace_targets(c, "2026", [StoredTargets("T1", 0.5, 10.0, 0.5, 2, now, "targets.xlsx", 2),
                                    StoredTargets("T1-O1", 0.5, 10.0, 0.5, 1, now, "targets.xlsx", 3)])
    from moodle_bridge.services.evaluation import evaluate

    from ..tree_store import AS_OF, tree_rules

    evaluate(store, tree_rules(), "2026", AS_OF)
    with store.connect() as c:
        assessed = {u.code: u for u in year_assessment(c).units}
        rolled = rolled_rates(c, year_assessment(c).evaluation.id)
    township = {t.target: t.actual for t in assessed["T1"].targets}
    office = {t.target: t.actual for t in assessed["T1-O1"].targets}
    assert rolled["T1"].cadres == 4
    assert township["hours_per_cadre"] == rolled["T1"].hours_per_cadre
    # the office's Party history (two cadres' rows, named by name and by code) once, and the town's own
    assert (township["organised_trainings"], office["organised_trainings"]) == (2, 1)


def test_an_organiser_named_as_two_units_are_is_credited_to_neither(tmp_path):
    """Every town has its own Party Office: a training its file names by that name alone is no one's; by code, it
    is that office's."""
    from moodle_bridge.results.assessment import organised_trainings
    from moodle_bridge.store.schema import offline_records

    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with engine.begin() as c:
        c.execute(sa.insert(offline_records), [
            {"row_key": f"k{n}", "cadre_id": "C1", "training": title, "organiser": organiser,
             "start": date(2026, 5, 1), "end": date(2026, 5, 1), "days": 1.0, "hours": None, "leave_hours": 0.0,
             "source_file": "t.xlsx", "line": n, "imported_at": now}
            for n, (title, organiser) in enumerate([("Rules", "Party Office"), ("History", "T1-PO")])])
        found = organised_trainings(c, date(2026, 1, 1), date(2026, 12, 31),
                                    {"T1-PO": "Party Office", "T2-PO": "Party Office", "T1": "Datang Town"})
    assert found == {"T1-PO": 1}

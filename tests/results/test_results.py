"""The read model of evaluation results, asked directly, on SQLite and PostgreSQL; the numbers worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from moodle_bridge import results
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.evaluation_io import supersede
from moodle_bridge.store.schema import (
    credit_entries,
    evaluation_flags,
    evaluation_results,
    evaluations,
    mirror_users,
    review_events,
    sync_runs,
)

from ..conftest import count_flags

NOW = datetime(2026, 11, 21, tzinfo=UTC)
# (cadre, unit code, unit name, status now, status before, online, offline)
CADRES = [("A", "U1", "Datang Town", "non_compliant", "non_compliant", 74, 15),
          ("B", "U1", "Datang Town", "compliant", "non_compliant", 60, 40),
          ("C", "U2", "Bureau", "at_risk", "at_risk", 60, 0),
          ("D", "U2", "Bureau", "exempt", "exempt", 0, 0),
          ("E", "U2", "Bureau", "compliant", "compliant", 10, 90),
          ("F", "U2", "Bureau", "suspended", "suspended", 0, 0)]
HOURS = {"group_name": "township", "rule": "groups.township.requirements[0]"}
COURSE = {"group_name": "township", "rule": "groups.township.requirements[2]"}
# Before: A and B short of hours. Now: A still short and C missing a course; B's flag is resolved.
FLAGS = {1: [("A", "insufficient_hours", HOURS), ("B", "insufficient_hours", HOURS)],
         2: [("A", "insufficient_hours", HOURS), ("C", "missing_required_course", COURSE),
             ("A", "missing_required_course", COURSE)]}


@pytest.fixture
def engine(db_url):
    engine = connect(db_url)
    upgrade(engine)
    with engine.begin() as c:
        for number, column in ((1, 4), (2, 3)):
            c.execute(sa.insert(evaluations).values(id=number, period="2026", as_of=date(2026, 11, number),
                                                    rules_hash="r", exemptions_hash="e", created_at=NOW, counts={}))
            until = {"until_evaluation": 2} if number == 1 else {}  # 2 judged every cadre again: 1's rows end there
            c.execute(sa.insert(evaluation_results), [
                {"since_evaluation": number, "period": "2026", **until, "cadre_id": row[0], "user_id": i + 1,
                 "name": f"Cadre {row[0]}", "unit_code": row[1], "unit_name": row[2], "groups": ["township"],
                 "status": row[column], "hours_online": row[5], "hours_offline": row[6], "required_hours": 90.0}
                for i, row in enumerate(CADRES)])
            c.execute(sa.insert(evaluation_flags), [
                {"since_evaluation": number, "period": "2026", **until, "cadre_id": cadre, "kind": kind,
                 "evidence": {"required": 90}, **where}
                for cadre, kind, where in FLAGS[number]])
            count_flags(c)
        c.execute(sa.insert(mirror_users).values(id=1, username="a", suspended=False, cadre_id="A",
                                                 profile={"rank": "section chief"}))
        c.execute(sa.insert(credit_entries), [
            {"cadre_id": "A", "source": f"offline:{n}", "period": period, "hours": hours, "online": False,
             "earned_at": 1_780_000_000 + n, "kind": "credit", "detail": {}, "created_at": NOW}
            for n, (period, hours) in enumerate((("2025", 5.0), ("2026", 74.0), ("2026", 15.25)))])
        c.execute(sa.insert(review_events), [
            {"cadre_id": "A", "unit_code": "U1", "kind": "reviewed", "text": None, "detail": {}, "staff": "one",
             "created_at": NOW},
            {"cadre_id": "A", "unit_code": "U1", "kind": "note", "text": "called", "detail": {}, "staff": "one",
             "created_at": NOW},
            {"cadre_id": "C", "unit_code": "U2", "kind": "excused", "text": None, "detail": {}, "staff": "two",
             "created_at": NOW}])
        c.execute(sa.insert(sync_runs), [
            {"kind": "full", "started_at": NOW, "finished_at": NOW, "status": "succeeded", "counts": {}},
            {"kind": "incremental", "started_at": NOW, "finished_at": None, "status": "failed", "counts": {}}])
    yield engine
    engine.dispose()


def test_evaluations_latest_and_before(engine):
    with engine.connect() as c:
        assert results.latest(c).id == 2 and results.evaluation(c, "2026", offset=1).id == 1
        assert [e.id for e in results.latest_evaluations(c)] == [2, 1]
        assert results.latest(c).as_of == date(2026, 11, 2)
        assert results.evaluation(c, "2025") is None
        with pytest.raises(results.NoEvaluation):
            results.latest(c, "2025")
        assert results.last_sync(c).replace(tzinfo=UTC) == NOW


def test_no_evaluation_at_all(db_url):
    engine = connect(db_url)
    upgrade(engine)
    with engine.connect() as c:
        assert results.latest_evaluations(c) == [] and results.dashboard(c) is None
        for ask in (results.units, results.flagged):
            with pytest.raises(results.NoEvaluation):
                ask(c)
    engine.dispose()


def test_flags_filtered_by_unit_group_and_kind(engine):
    with engine.connect() as c:
        every = results.flags(c, 2)
        assert [(f.cadre_id, f.kind) for f in every] == [
            ("A", "insufficient_hours"), ("C", "missing_required_course"), ("A", "missing_required_course")]
        assert (every[0].unit_code, every[0].unit_name, every[0].status, every[0].group) == (
            "U1", "Datang Town", "non_compliant", "township")
        by_code = results.flags(c, 2, results.FlagFilter(unit="U2"))
        by_name = results.flags(c, 2, results.FlagFilter(unit="Bureau"))
        assert [f.cadre_id for f in by_code] == [f.cadre_id for f in by_name] == ["C"]
        assert [f.cadre_id for f in results.flags(c, 2, results.FlagFilter(kind="insufficient_hours"))] == ["A"]
        assert results.flags(c, 2, results.FlagFilter(group="leading")) == []


def test_the_diff_between_two_evaluations(engine):
    with engine.connect() as c:
        diff = results.flag_diff(c, 2, 1)
        assert [(f.cadre_id, f.kind) for f in diff.new] == [
            ("C", "missing_required_course"), ("A", "missing_required_course")]
        assert [(f.cadre_id, f.kind) for f in diff.resolved] == [("B", "insufficient_hours")]
        assert results.flag_diff(c, 2, 1, results.FlagFilter(unit="U2")).resolved == []
        first = results.flag_diff(c, 1, None)  # the first evaluation: every flag is new
        assert len(first.new) == 2 and first.resolved == []


def test_unit_rates_and_the_change_since_the_previous_evaluation(engine):
    with engine.connect() as c:
        report = results.units(c)
        by_code = {u.code: u for u in report.units}
        # U1: 1 compliant of 2 = 50%, from 0 of 2: +50 points; hours (74 + 15 + 60 + 40) / 2 = 94.5
        assert (by_code["U1"].cadres, by_code["U1"].completion_rate, by_code["U1"].change,
                by_code["U1"].hours_per_cadre) == (2, 0.5, 50.0, 94.5)
        # U2: C, D (exempt), E; F suspended is apart: 1 of (3 - 1) = 50%, unchanged; (60 + 0 + 100) / 3
        assert (by_code["U2"].cadres, by_code["U2"].exempt, by_code["U2"].suspended, by_code["U2"].completion_rate,
                by_code["U2"].change, by_code["U2"].hours_per_cadre) == (3, 1, 1, 0.5, 0.0, 53.3)
        assert by_code["U2"].counts == {"compliant": 1, "on_track": 0, "at_risk": 1, "non_compliant": 0,
                                        "exempt": 1, "suspended": 1}
        assert [u.name for u in report.units] == ["Bureau", "Datang Town"] and report.previous.id == 1  # both 50%
        assert [u.code for u in results.units(c, unit="Datang Town").units] == ["U1"]
        assert list(results.unit_rates(c, 2, units=["U2"])) == ["U2"]


def test_flagged_cadres_by_unit(engine):
    with engine.connect() as c:
        report = results.flagged(c)
        assert [u.code for u in report.units] == ["U2", "U1"]  # by name: Bureau, Datang Town
        a = report.units[1].cadres[0]
        assert (a.cadre_id, a.hours, a.required, [f.kind for f in a.flags]) == (
            "A", 89.0, 90.0, ["insufficient_hours", "missing_required_course"])
        assert [u.code for u in results.flagged(c, unit="U1").units] == ["U1"]


def test_one_cadres_file_and_its_scope(engine):
    with engine.connect() as c:
        file = results.cadre_file(c, "A")
        assert (file.result.unit_code, file.profile, len(file.entries), file.period_hours) == (
            "U1", {"rank": "section chief"}, 3, 89.25)
        assert [f.kind for f in file.flags] == ["insufficient_hours", "missing_required_course"]
        assert results.cadre_file(c, "B").profile == {}  # no mirrored user: an empty profile
        assert results.cadre_file(c, "A", units=["U1"]).result.cadre_id == "A"
        for cadre, scope in (("A", ["U2"]), ("Z", None)):
            with pytest.raises(KeyError):
                results.cadre_file(c, cadre, units=scope)
        assert results.cadre_result(c, 2, "A", units=[]) is None


def test_the_review_pages_list_is_scoped_filtered_sorted_and_paged(engine):
    with engine.connect() as c:
        every = results.flagged_cadres(c, 2)
        assert [(r.result.cadre_id, r.review, len(r.flags)) for r in every] == [
            ("A", "reviewed", 2), ("C", "excused", 1)]
        assert [r.result.cadre_id for r in results.flagged_cadres(c, 2, units=["U2"])] == ["C"]
        assert results.flagged_cadres(c, 2, units=[]) == []

        def ids(**ask: object) -> list[str]:
            return [r.result.cadre_id for r in results.flagged_cadres(c, 2, ask=results.CadreQuery(**ask))]

        assert ids(kind="insufficient_hours") == ["A"] and ids(group="leading") == []
        assert ids(unit_code="U2") == ["C"] and ids(search="cadre c") == ["C"] and ids(search=" e a ") == ["A"]
        assert ids(state="excused") == ["C"] and ids(state="reviewed") == ["A"] and ids(state="open") == []
        assert ids(sort="hours") == ["C", "A"] and ids(sort="name", descending=True) == ["C", "A"]
        assert ids(sort="nonsense") == ["A", "C"]

        first = results.flagged_page(c, 2, page=1, page_size=1)
        second = results.flagged_page(c, 2, page=2, page_size=1)
        assert (first.total, first.pages, [r.result.cadre_id for r in first.rows]) == (2, 2, ["A"])
        assert [r.result.cadre_id for r in second.rows] == ["C"]
        assert results.flagged_page(c, 2, units=[]).pages == 1  # nothing to show is still one page

        # The page's total is counted apart from the list (no ORDER BY, no subquery): the same under every filter.
        for units in (None, ["U1"], ["U2"], []):
            for ask in (results.CadreQuery(), results.CadreQuery(kind="missing_required_course"),
                        results.CadreQuery(group="township", state="reviewed"), results.CadreQuery(search="c"),
                        results.CadreQuery(unit_code="U1", sort="hours", descending=True)):
                page = results.flagged_page(c, 2, units, ask, page=1, page_size=10)
                listed = results.flagged_cadres(c, 2, units, ask)
                assert (page.total, page.rows) == (len(listed), listed)


def test_the_dashboard_is_scoped(engine):
    with engine.connect() as c:
        every = results.dashboard(c)
        one = results.dashboard(c, ["U1"])
        assert every.flag_kinds == {"insufficient_hours": 1, "missing_required_course": 2}
        assert one.flag_kinds == {"insufficient_hours": 1, "missing_required_course": 1}
        assert [u.code for u in one.units] == ["U1"] and one.units[0].completion_rate == 0.5
        assert results.unit_names(c, 2) == [("U2", "Bureau"), ("U1", "Datang Town")]
        assert results.unit_names(c, 2, ["U1"]) == [("U1", "Datang Town")]


def test_remembered_answers_follow_a_new_evaluation_and_new_reviews(engine):
    """The list's total, the dashboard and the unit names are remembered per evaluation (issue 11): a review, a new
    evaluation or an evaluation given the same id again (SQLite, after a rollback) are seen at once."""
    def reviewed_total(c: sa.Connection) -> int:
        return results.flagged_page(c, 2, ask=results.CadreQuery(state="reviewed")).total

    with engine.connect() as c:
        assert reviewed_total(c) == 1 and results.flagged_page(c, 2).total == 2
        assert results.dashboard(c).evaluation.id == 2
    with engine.begin() as c:
        c.execute(sa.insert(review_events).values(cadre_id="C", unit_code="U2", kind="reviewed", text=None, detail={},
                                                  staff="one", created_at=NOW))
        c.execute(sa.insert(evaluations).values(id=3, period="2026", as_of=date(2026, 11, 3), rules_hash="r",
                                                exemptions_hash="e", created_at=NOW, counts={}))
        supersede(c, 3, "2026", None)  # 3 judged every cadre (none, here): 2's rows end where it begins
    with engine.connect() as c:
        assert reviewed_total(c) == 2 and results.flagged_page(c, 2).total == 2
        assert (results.dashboard(c).evaluation.id, results.dashboard(c).flag_kinds) == (3, {})
        assert results.unit_names(c, 3) == [] and results.unit_names(c, 2) != []
    with engine.begin() as c:  # evaluation 3 again, now with a flagged cadre: another evaluation, another answer
        c.execute(sa.delete(evaluations).where(evaluations.c.id == 3))
        c.execute(sa.insert(evaluations).values(id=3, period="2026", as_of=date(2026, 11, 3), rules_hash="r",
                                                exemptions_hash="e", created_at=NOW.replace(hour=1), counts={}))
        c.execute(sa.insert(evaluation_results).values(
            since_evaluation=3, period="2026", cadre_id="A", user_id=1, name="Cadre A", unit_code="U1",
            unit_name="Datang Town",
            groups=["township"], status="non_compliant", hours_online=1, hours_offline=0, required_hours=90.0))
        c.execute(sa.insert(evaluation_flags).values(since_evaluation=3, period="2026", cadre_id="A",
                                                     kind="insufficient_hours", evidence={}, **HOURS))
        count_flags(c)
    with engine.connect() as c:
        assert results.dashboard(c).flag_kinds == {"insufficient_hours": 1}
        assert results.flagged_page(c, 3).total == 1
        assert results.unit_names(c, 3) == [("U1", "Datang Town")]


def test_review_states_and_history(engine):
    with engine.connect() as c:
        assert results.review_states(c) == {"A": "reviewed", "C": "excused"}
        assert [e.kind for e in results.review_history(c, "A")] == ["note", "reviewed"]  # newest first


def test_what_the_actions_act_on_is_the_latest_evaluations_flags(engine):
    with engine.connect() as c:
        every = results.flags_for_actions(c)
        assert [(f.result.cadre_id, f.result.user_id, [g.kind for g in f.flags]) for f in every] == [
            ("A", 1, ["insufficient_hours", "missing_required_course"]), ("C", 3, ["missing_required_course"])]
        assert all(f.evaluation.id == 2 for f in every)
        courses = results.flags_for_actions(c, {"missing_required_course"})
        assert [(f.result.cadre_id, len(f.flags)) for f in courses] == [("A", 1), ("C", 1)]
        assert results.flags_for_actions(c, set()) == []
        assert results.flagged_users(c, 10) == [1, 3] and results.flagged_users(c, 1) == [1]
        assert set(results.results_by_cadre(c, 2)) == {"A", "B", "C", "D", "E", "F"}


def test_nothing_to_act_on_before_any_evaluation(db_url):
    engine = connect(db_url)
    upgrade(engine)
    with engine.connect() as c:
        assert results.flags_for_actions(c) == [] and results.flagged_users(c, 10) == []
    engine.dispose()


def test_a_cadres_ledger_is_read_once_as_the_rules_entries(engine):
    from moodle_bridge.rules.ledger import Entry

    with engine.connect() as c:
        entries = results.cadre_ledger(c, "A")
        assert [(e.period, e.hours) for e in entries] == [("2025", 5.0), ("2026", 74.0), ("2026", 15.25)]
        assert all(isinstance(e, Entry) and e.id and e.rules_hash is None for e in entries)
        assert results.cadre_file(c, "A").entries == entries
        assert results.cadre_ledger(c, "nobody") == []

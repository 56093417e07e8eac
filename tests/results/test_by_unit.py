"""Units ranked with their total, flags per 100 cadres, the change in points, and the rate through the period; on
SQLite and PostgreSQL, the numbers worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from moodle_bridge import results
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import OPEN, evaluation_flags, evaluation_results, evaluations

from ..conftest import count_flags

NOW = datetime(2026, 11, 21, tzinfo=UTC)


def unit(code: str, name: str, **statuses: int) -> list[tuple[str, str, str]]:
    """(unit code, unit name, status) for each cadre of a unit."""
    return [(code, name, status) for status, n in statuses.items() for _ in range(n)]


# The latest evaluation: Alpha 1 compliant of 26 (3.8%: the rate that read 3.9% when rounded twice), Beta and Gamma
# 50% (a tie), Delta only exempt (no rate), Zeta one suspended apart.
LATEST = (unit("U1", "Alpha", compliant=1, at_risk=25) + unit("U2", "Beta", compliant=1, non_compliant=1)
          + unit("U3", "Gamma", compliant=2, on_track=2, suspended=1) + unit("U4", "Delta", exempt=2))
BEFORE = (unit("U1", "Alpha", at_risk=26) + unit("U2", "Beta", compliant=1, non_compliant=1)
          + unit("U5", "Gone", compliant=3, at_risk=1))
# (id, period, as of, cadres, stored counts): two evaluations on 1 June (the later one counts), one of 2025
EVALUATIONS = [(1, "2026", date(2026, 3, 1), [], {"compliant": 1, "at_risk": 3}),
               (2, "2025", date(2025, 12, 31), unit("U1", "Alpha", compliant=1), {}),
               (3, "2026", date(2026, 6, 1), unit("U1", "Alpha", at_risk=1), {}),
               (4, "2026", date(2026, 6, 1), BEFORE, {}),
               (5, "2026", date(2026, 9, 1), LATEST, {})]


@pytest.fixture
def engine(db_url):
    engine = connect(db_url)
    upgrade(engine)
    with engine.begin() as c:
        for number, period, as_of, cadres, counts in EVALUATIONS:
            c.execute(sa.insert(evaluations).values(id=number, period=period, as_of=as_of, rules_hash="r",
                                                    exemptions_hash="e", created_at=NOW, counts=counts))
            if cadres:
                c.execute(sa.insert(evaluation_results), [  # 4 and 5 judged every cadre again: 3's end at 4, 4's at 5
                    {"since_evaluation": number, "period": period, "until_evaluation": {3: 4, 4: 5}.get(number, OPEN),
                     "cadre_id": f"{code}-{i}", "user_id": i, "name": f"Cadre {i}", "unit_code": code,
                     "unit_name": name, "groups": ["township"], "status": status, "hours_online": 10.25,
                     "hours_offline": 5, "required_hours": 90.0}
                    for i, (code, name, status) in enumerate(cadres)])
        # Beta: 3 flags on 2 cadres; Alpha: one each (26); Gamma's suspended cadre's flag is not counted
        flags = [("U2-26", "insufficient_hours"), ("U2-26", "missing_required_course"), ("U2-27", "makeup_due"),
                 *((f"U1-{i}", "insufficient_hours") for i in range(26)), ("U3-32", "insufficient_hours")]
        c.execute(sa.insert(evaluation_flags), [
            {"since_evaluation": 5, "period": "2026", "cadre_id": cadre, "kind": kind, "group_name": "township",
             "rule": "r", "evidence": {}} for cadre, kind in flags])
        count_flags(c)
    yield engine
    engine.dispose()


def test_units_ranked_by_rate_ties_share_a_rank_no_rate_last(engine):
    with engine.connect() as c:
        report = results.units(c)
    assert [(u.name, u.rank, u.completion_rate) for u in report.units] == [
        ("Beta", 1, 0.5), ("Gamma", 1, 0.5), ("Alpha", 3, 0.038), ("Delta", None, None)]


def test_the_total_row_adds_up_the_units(engine):
    with engine.connect() as c:
        total = results.units(c).total
    # 26 + 2 + 4 + 2 cadres (Gamma's suspended apart); 4 compliant of 32 counted = 12.5%
    assert (total.code, total.rank, total.cadres, total.compliant, total.exempt, total.suspended) == (
        "", None, 34, 4, 2, 1)
    assert total.completion_rate == 0.125
    assert (total.hours, total.hours_per_cadre) == (34 * 15.25, 15.3)  # 15.25 each: rounded once, half up
    # 26 + 3 flags over 34 cadres (the suspended cadre's flag apart): 85.3 per 100
    assert (total.flags, total.flags_per_100) == (29, 85.3)
    # before: Alpha 0 of 26, Beta 1 of 2, Gone 3 of 4 = 4 of 32 = 12.5%: unchanged
    assert total.change == 0.0


def test_flags_per_100_cadres_and_the_change_in_points(engine):
    with engine.connect() as c:
        by_name = {u.name: u for u in results.units(c).units}
    assert (by_name["Beta"].flags, by_name["Beta"].flags_per_100) == (3, 150.0)
    assert (by_name["Alpha"].flags, by_name["Alpha"].flags_per_100) == (26, 100.0)
    assert (by_name["Gamma"].flags, by_name["Delta"].flags_per_100) == (0, 0.0)
    assert by_name["Alpha"].change == 3.8 and by_name["Beta"].change == 0.0  # from 0% and from 50%
    assert by_name["Gamma"].change is None  # not there before


def test_one_unit_kept_and_its_total(engine):
    with engine.connect() as c:
        report = results.units(c, unit="Alpha")
    assert [u.code for u in report.units] == ["U1"] and report.total.completion_rate == 0.038
    assert report.total.change == 3.8
    assert [p.rate for p in report.trend] == [None, 0.0, 0.038]  # Alpha's own: nobody of it on 1 March


def test_the_rate_through_the_period_one_point_per_day(engine):
    with engine.connect() as c:
        points = results.units(c).trend
    # 1 March from its stored counts (1 of 4); 1 June from its later evaluation (4 of 32); 1 September (4 of 32)
    assert [(p.day, p.evaluation_id, p.rate) for p in points] == [
        (date(2026, 3, 1), 1, 0.25), (date(2026, 6, 1), 4, 0.125), (date(2026, 9, 1), 5, 0.125)]
    with engine.connect() as c:
        upto = results.trend(c, results.evaluation(c, "2026", offset=2))  # evaluation 3: up to it only
    assert [(p.evaluation_id, p.rate) for p in upto] == [(1, 0.25), (3, 0.0)]


def test_the_dashboard_is_the_units_table_within_the_scope(engine):
    with engine.connect() as c:
        every, some = results.dashboard(c), results.dashboard(c, ["U1", "U2"])
        assert every.rates == results.units(c)
    assert [(u.name, u.rank) for u in some.units] == [("Beta", 1), ("Alpha", 2)]
    assert (some.rates.total.cadres, some.rates.total.completion_rate) == (28, 0.071)  # 2 of 28
    # the scope's rate through the period, from the results (1 March has none of theirs)
    assert [p.rate for p in some.rates.trend] == [None, 0.036, 0.071]  # 1 of 28, then 2 of 28

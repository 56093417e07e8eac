"""The promotion check over real evaluations: a mixed list of candidates (one who meets the requirements, one who
missed a required course, one short of hours, an exempt one, one not evaluated in the period, an unknown id), and
what an evaluation before a period's end, the period in progress and a period never evaluated say."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from moodle_bridge.reports import promotion as words
from moodle_bridge.results.promotion import promotion_check
from moodle_bridge.rules.loader import parse_rules
from moodle_bridge.rules.promotion import Candidate
from moodle_bridge.services.evaluation import evaluate
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import mirror_completions, mirror_courses, mirror_users

RULES = """
cadres: {cadre_id_field: cadre_id}
groups:
  township:
    label: Township cadres
    select: {rank: [section_chief]}
    requirements:
      - {kind: min_hours, hours: 20}
      - kind: required_courses
        courses: [{shortname: PH-01}]
        due: "2025-06-30"
      - {kind: makeup, after: shortfall, within_months: 6}
exemptions:
  - {cadre_id: D, reason: maternity leave, from: "2025-01-01", to: "2025-12-31", effect: full}
labels:
  rank: {section_chief: {en: Section chief, zh_CN: 正科级}}
promotion: {periods: 1}
"""
COURSES = {13: ("EC-01", "Economics"), 14: ("PH-01", "Party History"), 15: ("EC-02", "Ecology")}
# cadre id, name (given, family), the courses completed in 2025
CADRES = {"A": ("Tao", "Ma", [13, 14]), "B": ("Li", "Wang", [13, 15]), "C": ("Jun", "Zhao", [14]),
          "D": ("Mei", "Sun", [])}


def _at(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, 3, tzinfo=UTC).timestamp())


def _cadre(user_id: int, cadre_id: str, given: str, family: str) -> dict[str, object]:
    return {"id": user_id, "username": cadre_id.lower(), "firstname": given, "lastname": family, "suspended": False,
            "cadre_id": cadre_id, "profile": {"cadre_id": cadre_id, "rank": "section_chief", "unit": "Town One"}}


def fill(engine) -> None:
    """The courses, the cadres A to D and their 2025 completions."""
    with engine.begin() as c:
        c.execute(sa.insert(mirror_courses), [
            {"id": i, "shortname": short, "fullname": full, "categoryid": 1, "visible": True, "startdate": 0,
             "enddate": 0, "completion_enabled": True, "hours": 10.0} for i, (short, full) in COURSES.items()])
        c.execute(sa.insert(mirror_users), [_cadre(n, cid, given, family)
                                            for n, (cid, (given, family, _c)) in enumerate(CADRES.items(), start=1)])
        c.execute(sa.insert(mirror_completions), [
            {"course_id": course, "user_id": n, "time_completed": _at(2025, 3, 1 + k), "precision": "second",
             "road": "report"}
            for n, (_cid, (_g, _f, done)) in enumerate(CADRES.items(), start=1) for k, course in enumerate(done)])


@pytest.fixture
def engine(db_url):
    engine = connect(db_url)
    upgrade(engine)
    fill(engine)
    yield engine
    engine.dispose()


def joins_later(engine) -> None:
    """E joins after 2025 was evaluated: in the mirror, in no 2025 result."""
    with engine.begin() as c:
        c.execute(sa.insert(mirror_users).values(**_cadre(9, "E", "Yu", "Liu")))


def _check(engine, rules, candidates, today):
    with engine.connect() as c:
        return promotion_check(c, candidates, rules, today)


def test_a_mixed_list_says_who_meets_the_requirements_and_why_not(engine):
    loaded = parse_rules(RULES)
    evaluate(engine, loaded, "2025", date(2025, 12, 31))  # on the period's last day: hours short are "at risk"
    joins_later(engine)
    given = [Candidate("A", "Ma Tao", 2), Candidate("B"), Candidate("C"), Candidate("D"), Candidate("E"),
             Candidate("ZZZ", "Nobody", 7), Candidate("A2")]
    check = _check(engine, loaded.rules, given[:6], date(2026, 3, 1))
    by_id = {a.cadre_id: a for a in check.candidates}
    assert [(p.label, p.current) for p in check.periods] == [("2025", False)]
    assert {cid: a.verdict for cid, a in by_id.items()} == {
        "A": "meets", "B": "does_not_meet", "C": "does_not_meet", "D": "meets", "E": "unknown", "ZZZ": "unknown"}
    assert by_id["A"].name_matches is True and by_id["ZZZ"].found is False
    assert by_id["C"].periods[0].status == "at_risk"  # the evaluation's own word, as of the last day
    [hours] = by_id["C"].periods[0].missed
    assert (hours.standing.required, hours.standing.achieved, hours.deadline) == (20.0, 10.0, date(2025, 12, 31))
    assert [(m.period, m.hours, m.due, m.achieved) for m in by_id["C"].makeup] == [
        ("2025", 10.0, date(2026, 7, 1), None)]  # 2026 not evaluated yet: the rules say when
    rows = {r.cadre_id: r for r in words.rows(check)}
    assert (rows["A"].name, rows["A"].unit, rows["A"].rank, rows["A"].verdict_label, rows["A"].reasons) == (
        "Tao Ma", "Town One", "Section chief", "yes", [])
    assert rows["B"].reasons == ["2025: overdue required course: not done: Party History; due 2025-06-30"]
    assert rows["C"].reasons == ["2025: insufficient hours: 10 of 20 hours in 2025"]
    assert (rows["C"].makeup_owed, rows["C"].makeup_due, rows["C"].makeup) == (
        10.0, date(2026, 7, 1), ["10 hours short in 2025: to be made up by 2026-07-01."])
    assert rows["D"].reasons == ["2025: exempt (maternity leave)."] and rows["D"].verdict_label == "yes"
    assert rows["E"].reasons == ["2025: not in the period's evaluation (not a cadre then, or not yet synced)."]
    assert rows["E"].name == "Yu Liu" and rows["E"].verdict_label == "cannot tell"
    assert rows["ZZZ"].reasons == ["Not found: no cadre has this id in the data read from Moodle or in the "
                                   "evaluations; check the id."]
    assert (rows["ZZZ"].name, rows["ZZZ"].unit, [c.status for c in rows["ZZZ"].periods]) == ("Nobody", "-", ["-"])
    assert words.summary_text(check) == ("6 candidates: 2 meet the training requirements, 2 do not, 2 cannot be "
                                         "told.")


def test_a_name_that_is_not_the_cadres_is_said(engine):
    loaded = parse_rules(RULES)
    evaluate(engine, loaded, "2025", date(2025, 12, 31))
    check = _check(engine, loaded.rules, [Candidate("B", "Wang Lei", 3), Candidate("A", "马涛", 2)], date(2026, 3, 1))
    assert [r.reasons[0] for r in words.rows(check)] == [
        "The list names “Wang Lei”; the cadre with this id is “Li Wang”.",
        "The list names “马涛”; the cadre with this id is “Tao Ma”."]


def test_an_evaluation_before_the_periods_end_cannot_tell_what_was_not_met_then(engine):
    loaded = parse_rules(RULES)
    evaluate(engine, loaded, "2025", date(2025, 9, 30))
    check = _check(engine, loaded.rules, [Candidate("A"), Candidate("B"), Candidate("C")], date(2026, 3, 1))
    assert [a.verdict for a in check.candidates] == ["meets", "unknown", "unknown"]
    reasons = words.rows(check)[2].reasons
    assert "2025: evaluated as of 2025-09-30, before the period ended on 2025-12-31: evaluate 2025 as of its last " \
           "day to tell." in reasons


def test_the_period_in_progress_and_the_make_up_it_measures(engine):
    loaded = parse_rules(RULES)
    evaluate(engine, loaded, "2025", date(2025, 12, 31))
    current = parse_rules(RULES.replace("promotion: {periods: 1}", "promotion: {periods: 1, include_current: true}"))
    evaluate(engine, current, "2026", date(2026, 8, 1))  # C made nothing up by 1 July
    check = _check(engine, current.rules, [Candidate("A"), Candidate("C")], date(2026, 8, 2))
    assert [(p.label, p.current) for p in check.periods] == [("2025", False), ("2026", True)]
    a, c = check.candidates
    assert [p.verdict for p in a.periods] == ["meets", "meets"]  # on track in 2026 so far: met so far
    assert [p.verdict for p in c.periods] == ["does_not_meet", "does_not_meet"]
    assert [(m.hours, m.achieved, m.status) for m in c.makeup] == [(10.0, 0.0, "non_compliant")]
    row = words.rows(check)[1]
    assert row.reasons[1] == "2026 so far: make-up due: make-up of 10 hours, 0 done, due 2026-07-01"
    assert row.makeup == ["10 hours short in 2025: to be made up by 2026-07-01; 0 made up (non-compliant)."]
    assert (row.makeup_owed, [cell.text for cell in row.periods]) == (10.0, ["at risk (10 / 20)",
                                                                             "non-compliant (0 / 20)"])


def test_a_period_never_evaluated_cannot_be_told(engine):
    loaded = parse_rules(RULES.replace("promotion: {periods: 1}", "promotion: {periods: 2}"))
    evaluate(engine, loaded, "2025", date(2025, 12, 31))
    check = _check(engine, loaded.rules, [Candidate("A")], date(2026, 3, 1))
    assert check.evaluations["2024"] is None and check.candidates[0].verdict == "unknown"
    assert words.rows(check)[0].reasons == ["2024: the period has not been evaluated."]

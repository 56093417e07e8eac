"""A training file is the evaluation's: its ledger as the evaluation left it (its own postings in, nothing posted
since), and a required course done when the cadre completed and passed it, whatever hours the completion earned."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from moodle_bridge import results
from moodle_bridge.reports import names
from moodle_bridge.rules.loader import parse_rules
from moodle_bridge.services import ledger
from moodle_bridge.services.evaluation import evaluate
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import mirror_completions, mirror_courses, mirror_users, offline_records

RULES = parse_rules("""
cadres: {cadre_id_field: cadre_id}
credits: {cap_online_per_period: 10}
groups:
  township:
    label: Township cadres
    select: {rank: [section_chief]}
    requirements:
      - {kind: min_hours, hours: 40}
      - kind: required_courses
        courses: [{shortname: PH-01}]
        due: "2026-12-31"
""")
AS_OF = date(2026, 11, 21)


def _at(month: int, day: int) -> int:
    return int(datetime(2026, month, day, 3, tzinfo=UTC).timestamp())


@pytest.fixture
def engine(db_url):
    engine = connect(db_url)
    upgrade(engine)
    with engine.begin() as c:
        c.execute(sa.insert(mirror_users).values(id=7, username="a", firstname="Cadre", lastname="A", suspended=False,
                                                 cadre_id="A", profile={"cadre_id": "A", "rank": "section_chief"}))
        c.execute(sa.insert(mirror_courses), [
            {"id": i, "shortname": short, "fullname": full, "categoryid": 1, "visible": True, "startdate": 0,
             "enddate": 0, "completion_enabled": True, "hours": 10.0}
            for i, short, full in ((13, "EC-01", "Economics"), (14, "PH-01", "Party History"))])
        # Economics fills the online cap first: Party History, done later, earns nothing and has no ledger line.
        c.execute(sa.insert(mirror_completions), [
            {"course_id": 13, "user_id": 7, "time_completed": _at(3, 1), "precision": "second", "road": "report"},
            {"course_id": 14, "user_id": 7, "time_completed": _at(4, 1), "precision": "second", "road": "report"}])
        c.execute(sa.insert(offline_records).values(
            id=22, row_key="k", cadre_id="A", training="Rural revitalisation seminar", start=date(2026, 5, 11),
            end=date(2026, 5, 12), days=2, hours=16.0, leave_hours=0, source_file="f.csv", line=2,
            imported_at=datetime(2026, 6, 1, tzinfo=UTC)))
    yield engine
    engine.dispose()


def _lines(file) -> dict[str, float]:
    return {names.source_name(line.source): line.hours for line in file.credits}


def test_a_completion_the_online_cap_left_without_hours_is_done(engine):
    evaluate(engine, RULES, "2026", AS_OF)
    with engine.connect() as c:
        file = results.cadre_file(c, "A")
    assert _lines(file) == {"Economics": 10.0, "Rural revitalisation seminar": 16.0}  # its own postings are in
    _hours, course = file.requirements
    assert (course.done, course.status, names.course_marks(course)) == (
        ["Party History"], "compliant", ["“Party History”: done"])
    assert [f.kind for f in file.flags] == ["insufficient_hours"]  # none for the course: the evaluation found it met


def test_a_completion_after_the_evaluation_is_not_done_in_its_file(engine):
    with engine.begin() as c:
        c.execute(sa.update(mirror_completions).where(mirror_completions.c.course_id == 14)
                  .values(time_completed=int(datetime.now(UTC).timestamp()) + 86400))
    evaluate(engine, RULES, "2026", AS_OF)
    with engine.connect() as c:
        _hours, course = results.cadre_file(c, "A").requirements
    assert (course.done, course.status) == ([], "on_track")


def test_a_failed_assessment_is_not_done(engine):
    failing = parse_rules(RULES.text.replace("cap_online_per_period: 10", "pass_grade: 60"))
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO mirror_grades (course_id, user_id, grade, grademax) VALUES (14, 7, 40, 100)"))
    evaluate(engine, failing, "2026", AS_OF)
    with engine.connect() as c:
        file = results.cadre_file(c, "A")
    _hours, course = file.requirements
    assert (course.done, course.status) == ([], "on_track")  # due in December: not yet flagged


def test_the_ledger_posted_after_the_evaluation_is_not_in_its_file(engine):
    first = evaluate(engine, RULES, "2026", AS_OF)
    ledger.adjust(engine, RULES.rules, "A", 5.0, "certificate from the provincial school", "2026", False)
    ledger.withdraw(engine, 22, "entered twice")
    evaluate(engine, RULES, "2025", AS_OF)  # another period's evaluation reverses the withdrawn row's hours
    with engine.connect() as c:
        now = results.cadre_ledger(c, "A")
        file = results.cadre_file(c, "A", "2026")
    assert {e.kind for e in now} == {"credit", "adjustment", "reversal"}  # the ledger itself has them all
    assert file.evaluation.id == first.evaluation_id
    assert _lines(file) == {"Economics": 10.0, "Rural revitalisation seminar": 16.0}
    assert {e.kind for e in file.entries} == {"credit"}
    assert file.period_hours == file.result.hours == 26.0

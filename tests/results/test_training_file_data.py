"""A training file's data: ledger sources named from the mirror and the offline records, requirements named by the
rules that judged (kept with the evaluation), or by their flags for an evaluation older than kept rules."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from moodle_bridge import results
from moodle_bridge.reports import names, training_file
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.evaluation_io import keep_rules_text
from moodle_bridge.store.schema import (
    credit_entries,
    evaluation_flags,
    evaluation_results,
    evaluations,
    exemptions,
    mirror_completions,
    mirror_courses,
    mirror_grades,
    mirror_users,
    offline_records,
    rules_files,
)

from ..conftest import count_flags

NOW = datetime(2026, 11, 21, tzinfo=UTC)
LATE_EVENING = int(datetime(2026, 3, 31, 20, 0, tzinfo=UTC).timestamp())  # 1 April in Shanghai
RULES = """
cadres: {cadre_id_field: cadre_id}
groups:
  township:
    label: {en: Township cadres, zh_CN: 乡镇干部}
    select: {rank: [section_chief]}
    requirements:
      - {kind: min_hours, hours: 40}
      - {kind: min_online_hours, hours: 20}
      - kind: required_courses
        courses: [{shortname: PH-01}]
        due: "2026-06-30"
  leaders:
    label: County leaders
    select: {rank: [county_leader]}
    requirements:
      - {kind: window, start_year: 2024, years: 5, hours: 550}
labels:
  rank: {section_chief: {en: Section chief, zh_CN: 正科级}}
"""


def _credit(source: str, hours: float, kind: str = "credit", period: str = "2026", **extra) -> dict:
    # Every row has every key: an insert of many rows takes its columns from the first.
    return {"cadre_id": "A", "source": source, "period": period, "hours": hours, "online": source.startswith("c"),
            "earned_at": LATE_EVENING, "kind": kind, "detail": {}, "created_at": NOW, "reason": None, **extra}


@pytest.fixture
def engine(db_url):
    engine = connect(db_url)
    upgrade(engine)
    with engine.begin() as c:
        c.execute(sa.insert(mirror_users).values(id=7, username="a", suspended=False, cadre_id="A",
                                                 profile={"cadre_id": "A", "rank": "section_chief"}))
        c.execute(sa.insert(mirror_courses).values(
            id=14, shortname="PH-01", fullname="Party History", categoryid=1, visible=True, startdate=0, enddate=0,
            completion_enabled=True))
        c.execute(sa.insert(mirror_grades).values(course_id=14, user_id=7, grade=88.0, grademax=100.0))
        c.execute(sa.insert(mirror_completions).values(course_id=14, user_id=7, time_completed=LATE_EVENING,
                                                       precision="second", road="report"))
        c.execute(sa.insert(offline_records).values(
            id=22, row_key="k", cadre_id="A", training="Rural revitalisation seminar", organiser="County Party School",
            start=date(2026, 5, 11), end=date(2026, 5, 12), days=2, hours=None, leave_hours=0, source_file="f.csv",
            line=2, imported_at=NOW))
        c.execute(sa.insert(credit_entries), [
            _credit("completion:14:7", 8.0, detail={"course": "Party History", "grade": 88.0}),
            _credit("completion:14:7", -8.0, "reversal", reason="value changed"),
            _credit("completion:14:7", 6.0, detail={"course": "Party History", "grade": 88.0}),
            _credit("offline:22", 15.0),
            _credit("carryover:2025", 5.0),
            _credit("adjustment:1", 2.0, "adjustment", reason="certificate from the provincial school"),
            _credit("completion:99:7", 4.0, detail={"course": "An old course", "grade": None}),
            _credit("completion:14:7", 3.0, period="2025")])
        c.execute(sa.insert(evaluations).values(id=1, period="2026", as_of=date(2026, 11, 21), rules_hash="h",
                                                exemptions_hash="e", created_at=NOW, counts={}))
        c.execute(sa.insert(evaluation_results).values(
            since_evaluation=1, period="2026", cadre_id="A", user_id=7, name="Cadre A", unit_code="U1",
            unit_name="Datang Town", groups=["township"], status="at_risk", hours_online=12.0, hours_offline=20.0,
            required_hours=40.0))
        c.execute(sa.insert(evaluation_flags).values(
            since_evaluation=1, period="2026", cadre_id="A", kind="insufficient_hours", group_name="township",
            rule="groups.township.requirements[0]", evidence={"required": 40, "achieved": 32, "period": "2026"}))
        count_flags(c)
        c.execute(sa.insert(exemptions).values(
            key="x", cadre_id="A", reason="maternity leave", start=date(2026, 2, 1), end=date(2026, 3, 31),
            effect="prorate", source="review", created_at=NOW))
        keep_rules_text(c, "h", RULES)
        keep_rules_text(c, "h", "kept once: a second text of the same hash is not written")
    yield engine
    engine.dispose()


def test_every_source_is_named_and_what_stands_is_folded(engine):
    with engine.connect() as c:
        file = results.cadre_file(c, "A")
    course = file.sources["completion:14:7"]
    assert (course.kind, course.title, course.short_name, course.course_id, course.grade, course.grade_max) == (
        "course", "Party History", "PH-01", 14, 88.0, 100.0)
    lines = {(line.source.code, line.period): line for line in file.credits}
    assert lines["completion:14:7", "2026"].hours == 6.0  # 8, reversed, then 6: what stands
    assert lines["completion:14:7", "2026"].day == date(2026, 4, 1)  # earned 20:00 UTC: the next day in Shanghai
    offline = lines["offline:22", "2026"].source
    assert (offline.title, offline.organiser, offline.started, offline.ended) == (
        "Rural revitalisation seminar", "County Party School", date(2026, 5, 11), date(2026, 5, 12))
    assert names.source_name(lines["carryover:2025", "2026"].source) == "Hours carried over from 2025"
    adjustment = lines["adjustment:1", "2026"]
    assert names.source_name(adjustment.source) == "Adjustment by staff (no. 1)"
    assert adjustment.reason == "certificate from the provincial school"
    assert names.source_name(lines["completion:99:7", "2026"].source) == "An old course"  # gone from the mirror
    assert len(file.period_credits) == 5 and ("completion:14:7", "2025") in lines
    assert [(x.reason, x.effect) for x in file.exemptions] == [("maternity leave", "prorate")]
    assert (file.rank, names.value_label(file.rules, "rank", file.rank)) == ("section_chief", "Section chief")


def test_requirements_are_named_by_the_rules_that_judged(engine):
    with engine.connect() as c:
        file = results.cadre_file(c, "A")
        assert c.execute(sa.select(sa.func.count()).select_from(rules_files)).scalar() == 1
    assert file.rules is not None and file.rules.labels.value("rank", "section_chief", "zh_CN") == "正科级"
    hours, online, course = file.requirements
    assert (hours.group, hours.group_label.en, hours.group_label.zh_CN) == ("township", "Township cadres", "乡镇干部")
    assert (hours.status, hours.required, hours.achieved, [f.kind for f in hours.flags]) == (
        "at_risk", 40, 32, ["insufficient_hours"])
    assert (online.status, online.required, online.achieved, online.flags) == ("on_track", 20, 12.0, [])  # unflagged
    assert (course.courses, course.done, course.status) == (["Party History"], ["Party History"], "compliant")
    assert names.requirement_name(hours) == "at least 40 class hours in the period"
    assert names.requirement_name(course) == "Required courses: all of the courses below, by 2026-06-30"
    assert names.course_marks(course) == ["“Party History”: done"]
    page = training_file.html([file])
    assert "Township cadres" in page and "at least 40 class hours in the period" in page
    assert "groups." not in page and "requirements[" not in page and "completion:" not in page


def test_an_evaluation_without_kept_rules_names_requirements_by_group_and_flag(engine):
    with engine.begin() as c:
        c.execute(sa.update(evaluations).values(rules_hash="older"))
    with engine.connect() as c:
        file = results.cadre_file(c, "A")
    assert file.rules is None
    [only] = file.requirements
    assert (only.group, only.group_label, only.requirement, only.status, only.required, only.achieved) == (
        "township", None, None, "at_risk", 40, 32)
    assert (names.requirement_group(only), names.requirement_name(only)) == ("township", "insufficient hours")
    page = training_file.html([file])
    assert "insufficient hours" in page and "groups." not in page and "requirements[" not in page
    assert "section chief" in page  # no labels: the value made readable, never the code


def test_a_county_leader_shows_the_windows_requirement_and_its_years(engine):
    with engine.begin() as c:
        c.execute(sa.update(evaluation_results).values(groups=["leaders"], required_hours=None, status="on_track"))
        c.execute(sa.delete(evaluation_flags))
    with engine.connect() as c:
        file = results.cadre_file(c, "A")
    [window] = file.windows
    assert (window.first, window.last, window.required) == (2024, 2028, 550)
    assert window.years == [("2024", 0), ("2025", 3.0), ("2026", 27.0), ("2027", 0), ("2028", 0)]  # no carry-over
    assert (window.achieved, window.status) == (30.0, "on_track")
    assert training_file.required_text(file) == "550 in 2024-2028"


def test_a_flag_is_non_compliant_once_its_deadline_has_passed(engine):
    with engine.begin() as c:
        c.execute(sa.update(evaluation_results).values(status="non_compliant"))
        c.execute(sa.insert(evaluation_flags).values(
            since_evaluation=1, period="2026", cadre_id="A", kind="overdue_required_course", group_name="township",
            rule="groups.township.requirements[2]", evidence={"due": "2026-06-30", "missing": ["Party History"]}))
        count_flags(c)
    with engine.connect() as c:
        file = results.cadre_file(c, "A")
    hours, _online, course = file.requirements
    assert (hours.status, course.status) == ("at_risk", "non_compliant")  # the year is not over; 30 June is

"""The read model of Moodle's Feedback answers (issue 15, item 4): ratings per course and per provider (count, mean,
distribution 1 to 5, comments), a course evaluated by nobody yet, and the training needs by unit and rank, where an
anonymous response is never placed; fewer than 3 answers behind a figure never show; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from moodle_bridge.results import NoEvaluation
from moodle_bridge.results.feedback import TopicCounts, course_evaluations, ratings, suppressed, training_needs
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import (
    evaluation_results,
    evaluations,
    mirror_categories,
    mirror_courses,
    mirror_feedback_answers,
    mirror_feedback_items,
    mirror_feedback_responses,
    mirror_feedbacks,
    mirror_users,
    rules_files,
)

NOW = datetime(2026, 11, 21, tzinfo=UTC)
RULES_TEXT = (Path(__file__).parents[2] / "moodle_bridge" / "templates" / "rules.example.yaml").read_text("utf-8")
RATED = [[1, 5.0, "Excellent"], [2, 4.0, "Good"], [3, 3.0, "Fair"], [4, 2.0, "Poor"], [5, 1.0, "Very poor"]]
TOPICS = ["Party history", "Law", "Digital government"]
# (user, cadre, unit code, unit name, rank)
CADRES = [(11, "C11", "U1", "Town One", "staff"), (12, "C12", "U1", "Town One", "section_chief"),
          (13, "C13", "U2", "Town Two", "staff"), (14, "C14", "U2", "Town Two", None),
          (15, "C15", "U1", "Town One", "staff"), (16, "C16", "U1", "Town One", "section_chief"),
          (17, "C17", "U2", "Town Two", "section_chief"), (18, "C18", "U3", "Town Three", "staff"),
          (19, "C19", "U4", "Town Four", "staff"), (20, "C20", "U4", "Town Four", None)]


def _course(c, course_id, name, category):
    c.execute(sa.insert(mirror_courses).values(id=course_id, shortname=f"C{course_id}", fullname=name,
                                               categoryid=category, visible=True, startdate=0, enddate=0,
                                               completion_enabled=True))


def _evaluation_questionnaire(c, feedback_id, course_id, anonymous, first_item):
    c.execute(sa.insert(mirror_feedbacks).values(id=feedback_id, course_id=course_id, cmid=feedback_id + 100,
                                                 name="Course evaluation", anonymous=anonymous))
    c.execute(sa.insert(mirror_feedback_items), [
        {"id": first_item, "feedback_id": feedback_id, "position": 1, "typ": "multichoicerated",
         "name": "Quality of the teaching", "label": "teaching", "presentation": "", "choices": RATED},
        {"id": first_item + 1, "feedback_id": feedback_id, "position": 2, "typ": "multichoicerated",
         "name": "Use for my work", "label": "usefulness", "presentation": "", "choices": RATED},
        {"id": first_item + 2, "feedback_id": feedback_id, "position": 3, "typ": "textarea",
         "name": "Comments", "label": "comment", "presentation": "", "choices": []}])


def _respond(c, response_id, feedback_id, course_id, user_id, answers):
    """A named response under Moodle's id; an anonymous one under a key that is not (as the sync stores them)."""
    key = str(response_id) if user_id is not None else f"a{response_id * 7919 % 100003:032x}"
    c.execute(sa.insert(mirror_feedback_responses).values(
        key=key, id=response_id if user_id is not None else None, feedback_id=feedback_id, course_id=course_id,
        anonymous=user_id is None, user_id=user_id))
    c.execute(sa.insert(mirror_feedback_answers), [
        {"response_key": key, "item_id": item, "feedback_id": feedback_id, "value": value}
        for item, value in answers.items()])


@pytest.fixture
def engine(db_url):
    engine = connect(db_url)
    upgrade(engine)
    with engine.begin() as c:
        c.execute(sa.insert(mirror_categories), [
            {"id": 2, "name": "Party School", "parent": 0, "path": "/2", "visible": True},
            {"id": 3, "name": "County Law Office", "parent": 0, "path": "/3", "visible": True}])
        _course(c, 101, "Party history", 2)
        _course(c, 102, "Party rules", 2)
        _course(c, 103, "Administrative law", 3)  # evaluated by nobody yet
        _course(c, 104, "Needs survey course", 3)
        _evaluation_questionnaire(c, 1, 101, False, 10)
        _evaluation_questionnaire(c, 2, 102, True, 20)
        _evaluation_questionnaire(c, 3, 103, False, 30)
        # course 101: three named responses; teaching rated 5, 4, 4 (positions 1, 2, 2), usefulness 3 and 1
        _respond(c, 1001, 1, 101, 11, {10: "1", 11: "3", 12: "Very clear"})
        _respond(c, 1002, 1, 101, 12, {10: "2", 11: "5", 12: "  "})
        _respond(c, 1003, 1, 101, 13, {10: "2", 12: "Another case study, please"})
        # course 102: three anonymous responses; teaching 2, 1 and 3, usefulness rated by two
        _respond(c, 2001, 2, 102, None, {20: "4", 21: "1", 22: "Too long"})
        _respond(c, 2002, 2, 102, None, {20: "5"})
        _respond(c, 2003, 2, 102, None, {20: "3", 21: "2"})
        # course 105: one named response, too few to show anything of
        _course(c, 105, "Party discipline", 2)
        _evaluation_questionnaire(c, 4, 105, False, 40)
        _respond(c, 4001, 4, 105, 11, {40: "1", 41: "1", 42: "Only I answered"})
        # a deleted response (gone) counts for nothing
        _respond(c, 1004, 1, 101, 14, {10: "5"})
        c.execute(sa.update(mirror_feedback_responses).where(mirror_feedback_responses.c.key == "1004")
                  .values(gone_at=NOW))
        # the training-needs questionnaire: one named, and an anonymous one in the same course
        for fid, anonymous in ((5, False), (6, True)):
            c.execute(sa.insert(mirror_feedbacks).values(id=fid, course_id=104, cmid=fid + 100,
                                                         name="Training needs", anonymous=anonymous))
            c.execute(sa.insert(mirror_feedback_items), [
                {"id": fid * 10, "feedback_id": fid, "position": 1, "typ": "multichoice",
                 "name": "Topics I want training in", "label": "training_needs", "presentation": "",
                 "choices": [[n, None, t] for n, t in enumerate(TOPICS, start=1)]},
                {"id": fid * 10 + 1, "feedback_id": fid, "position": 2, "typ": "textarea", "name": "Other needs",
                 "label": "", "presentation": "", "choices": []}])
        _respond(c, 5001, 5, 104, 11, {50: "1|2"})
        _respond(c, 5002, 5, 104, 12, {50: "1", 51: "Petitions"})
        _respond(c, 5003, 5, 104, 13, {50: "2|3"})
        _respond(c, 5004, 5, 104, 14, {50: "3"})  # no rank in Moodle
        _respond(c, 5005, 5, 104, 99, {50: "1|3"})  # a user in no evaluation (not a cadre)
        for response, user, picked in ((5006, 15, "1"), (5007, 16, "2"), (5008, 17, "3"), (5009, 18, "1|2"),
                                       (5010, 19, "2"), (5011, 20, "3")):
            _respond(c, response, 5, 104, user, {50: picked})
        _respond(c, 6001, 6, 104, None, {60: "1|2|3"})
        _respond(c, 6002, 6, 104, None, {60: "2", 61: "Data analysis"})
        c.execute(sa.insert(mirror_users), [
            {"id": user, "username": f"u{user}", "idnumber": cadre, "firstname": "A", "lastname": cadre,
             "suspended": False, "cadre_id": cadre, "profile": {"rank": rank} if rank else {}}
            for user, cadre, _code, _name, rank in CADRES])
        c.execute(sa.insert(rules_files).values(rules_hash="kept", text=RULES_TEXT, first_used_at=NOW))
        c.execute(sa.insert(evaluations).values(id=1, period="2026", as_of=date(2026, 11, 21), rules_hash="kept",
                                                exemptions_hash="e", created_at=NOW, counts={}))
        c.execute(sa.insert(evaluation_results), [
            {"since_evaluation": 1, "period": "2026", "cadre_id": cadre, "user_id": user, "name": cadre,
             "unit_code": code, "unit_name": name, "groups": ["township"], "status": "compliant",
             "hours_online": 40.0, "hours_offline": 0.0, "required_hours": 40.0}
            for user, cadre, code, name, _rank in CADRES])
    yield engine
    engine.dispose()


def test_ratings_arithmetic():
    found = ratings("Teaching", "teaching", [5.0, 4.0, 4.0, 2.5])
    assert found.count == 4 and found.mean == 3.88  # 15.5 / 4, rounded once to two places
    assert found.distribution == (0, 0, 0, 2, 1) and found.off_scale == 1  # 2.5 is no step of the scale
    assert ratings("Teaching", "", []) == ratings("Teaching", "", []) and ratings("T", "", []).mean is None


def test_ratings_per_course_with_comments(engine):
    with engine.connect() as c:
        found = course_evaluations(c)
    courses = {course.course: course for course in found.courses}
    assert list(courses) == ["Administrative law", "Party discipline", "Party history", "Party rules"]
    first = courses["Party history"]
    assert (first.provider, first.responses, first.anonymous, first.withheld) == ("Party School", 3, 0, False)
    teaching, use = first.questions
    assert (teaching.question, teaching.count, teaching.mean, teaching.distribution) == (
        "Quality of the teaching", 3, 4.33, (0, 0, 0, 2, 1))
    # one left it unanswered: rated by two, so not shown
    assert use.withheld and (use.count, use.mean, use.distribution) == (0, None, (0, 0, 0, 0, 0))
    assert first.comments == ["Another case study, please", "Very clear"]  # alphabetical, a blank one left out
    anonymous = courses["Party rules"]
    assert (anonymous.responses, anonymous.anonymous) == (3, 3)
    assert [(q.mean, q.withheld) for q in anonymous.questions] == [(2.0, False), (None, True)]
    assert anonymous.questions[0].distribution == (1, 1, 1, 0, 0) and anonymous.comments == ["Too long"]


def test_fewer_than_three_answers_are_never_shown(engine):
    """A course answered by one person gives neither its ratings nor its comments, and its provider's figures do not
    take it in (else they would give it away by difference); its count of responses stays."""
    with engine.connect() as c:
        found = course_evaluations(c)
    alone = next(course for course in found.courses if course.course == "Party discipline")
    assert alone.withheld and alone.responses == 1 and alone.comments == []
    assert all(q.withheld and q.count == 0 and q.mean is None for q in alone.questions)
    school = next(p for p in found.providers if p.provider == "Party School")
    assert school.withheld == 1
    teaching, use = school.questions
    assert (teaching.count, teaching.mean, teaching.distribution) == (6, 3.17, (1, 1, 1, 2, 1))  # 19 / 6: not its 5
    assert (use.count, use.mean, use.withheld) == (0, None, False)  # each course's was withheld: none taken in


def test_a_course_without_answers_lists_its_questions_with_none(engine):
    with engine.connect() as c:
        found = course_evaluations(c)
    nobody = next(course for course in found.courses if course.course == "Administrative law")
    assert nobody.responses == 0 and nobody.comments == [] and not nobody.withheld
    assert [(q.label, q.count, q.mean, q.distribution, q.withheld) for q in nobody.questions] == [
        ("teaching", 0, None, (0, 0, 0, 0, 0), False), ("usefulness", 0, None, (0, 0, 0, 0, 0), False)]
    # the training-needs questionnaire is no course evaluation
    assert "Needs survey course" not in {course.course for course in found.courses}


def test_ratings_per_provider_pool_their_courses(engine):
    with engine.connect() as c:
        found = course_evaluations(c)
    providers = {p.provider: p for p in found.providers}
    assert list(providers) == ["County Law Office", "Party School"]
    school = providers["Party School"]
    assert (school.courses, school.responses) == (3, 7)
    assert providers["County Law Office"].responses == 0 and providers["County Law Office"].questions[0].mean is None


def test_a_course_gone_from_moodle_is_left_out(engine):
    with engine.begin() as c:
        c.execute(sa.update(mirror_courses).where(mirror_courses.c.id == 102).values(gone_at=NOW))
    with engine.connect() as c:
        found = course_evaluations(c)
    assert "Party rules" not in {course.course for course in found.courses}
    assert next(p for p in found.providers if p.provider == "Party School").responses == 4


def test_training_needs_by_unit_and_rank_from_named_responses_only(engine):
    with engine.connect() as c:
        needs = training_needs(c)
    assert needs.topics == TOPICS and needs.evaluation.id == 1
    # the county: every response, named and anonymous, always shown
    assert needs.total.responses == 13 and not needs.total.withheld
    assert needs.total.counts == {"Party history": 6, "Law": 7, "Digital government": 6}
    assert (needs.named, needs.anonymous, needs.unplaced) == (11, 2, 1)
    units = {u.name: (u.key, u.responses, u.counts, u.withheld) for u in needs.by_unit}
    assert units == {"Town Four": ("U4", 2, {}, True), "Town One": ("U1", 4, {"Party history": 3, "Law": 2,
                                                                             "Digital government": 0}, False),
                     "Town Three": ("U3", 1, {}, True),
                     "Town Two": ("U2", 3, {"Party history": 0, "Law": 1, "Digital government": 3}, False)}
    assert list(units) == ["Town Four", "Town One", "Town Three", "Town Two"]
    # ranks in the order the rules' labels name them, no rank last; no rank's two are withheld, and so (else the
    # two could be had from the placed total) the smallest shown, section_chief's three
    assert [(r.key, r.responses, r.withheld) for r in needs.by_rank] == [
        ("section_chief", 3, True), ("staff", 5, False), ("", 2, True)]
    assert needs.by_rank[1].counts == {"Party history": 3, "Law": 4, "Digital government": 1}
    assert needs.comments == ["Data analysis", "Petitions"]


def test_the_rows_withheld_together_hold_none_or_three():
    """A table's withheld rows hold no response or three and more together: one of one or two responses alone would
    be the total less the rows shown."""
    rows = [TopicCounts(key=k, name=k, responses=n, counts={"t": n}) for k, n in
            (("a", 7), ("b", 1), ("c", 4), ("d", 0), ("e", 9))]
    assert [r.withheld for r in suppressed(rows)] == [False, True, True, False, False]  # b alone: c (the smallest
    assert [r.counts for r in suppressed(rows)][1:3] == [{}, {}]                      # shown) withheld too
    assert [r.withheld for r in suppressed(rows[:1] + rows[2:])] == [False, False, False, False]
    assert [r.withheld for r in suppressed(rows[1:2] + rows[3:4])] == [True, False]  # no answer: nothing to hide
    assert [r.withheld for r in suppressed([TopicCounts("x", "x", 1), TopicCounts("y", "y", 2)])] == [True, True]


def test_anonymous_responses_are_never_placed(engine):
    """Every placed response is a named one: the by-unit and by-rank counts add up to the named responses of cadres
    in the evaluation, whatever the anonymous ones chose; more anonymous answers change only the county's total."""
    with engine.connect() as c:
        before = training_needs(c)
    with engine.begin() as c:
        for n in range(5):
            _respond(c, 6100 + n, 6, 104, None, {60: "1"})
    with engine.connect() as c:
        after = training_needs(c)
    assert after.by_unit == before.by_unit and after.by_rank == before.by_rank
    assert after.anonymous == before.anonymous + 5 and after.total.counts["Party history"] == 11
    placed = sum(u.responses for u in after.by_unit)
    assert placed == sum(r.responses for r in after.by_rank) == after.named - after.unplaced


def test_training_needs_need_an_evaluation(db_url):
    engine = connect(db_url)
    upgrade(engine)
    try:
        with engine.connect() as c, pytest.raises(NoEvaluation):
            training_needs(c)
        with engine.connect() as c:
            assert course_evaluations(c).courses == []  # ratings need no evaluation
    finally:
        engine.dispose()

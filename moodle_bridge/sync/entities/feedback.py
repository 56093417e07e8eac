"""Feedback activities (optional, ``features.feedback``): course evaluations and training needs, as Moodle's Feedback
module answers a teacher or manager.

First the activities of the mirror's courses (``mod_feedback_get_feedbacks_by_courses``, a hundred courses a call; a
course Moodle answers with a warning for keeps what the mirror knew of it), then each activity whole: its questions
(``mod_feedback_get_items``) and its responses (``mod_feedback_get_responses_analysis``, paged), one partition each.

Anonymous stays anonymous: a response from Moodle's anonymous list has no user, and a response to a feedback that is
anonymous now is kept without its user even if it was given with a name (its user id is removed from the mirror).
Nor is an anonymous response kept under Moodle's id: those ids count up across every questionnaire of the site, in
the order people submit, so one next to a named response's would tell whose it may be. Its key is a keyed hash of
the feedback's and Moodle's ids (HMAC-SHA256 under the install's own secret, ``store.secrets``): the next sync finds
the same response by it, and nobody reads the order off it. A feedback's anonymous rows are written again in the
order of their keys whenever one is added, so neither the rows' order nor where they lie tells it either.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select

from ...i18n import N_
from ...moodle.models.feedback import Feedback, FeedbackItem, FeedbackItems, FeedbacksByCourses, ResponsesAnalysis
from ...store import mirror, mirror_reads
from ...store.diff import Changes, Key, Row, diff
from ...store.schema import (
    mirror_feedback_answers,
    mirror_feedback_items,
    mirror_feedback_responses,
    mirror_feedbacks,
)
from ...store.secrets import install_secret, keyed_hash
from ..report import ReportUnstable
from ..runner import Partition, Run

COURSES_PER_CALL = 100
PER_PAGE = 500  # responses a page (each list); Moodle re-runs the query for every page
READ_ATTEMPTS = 3  # a feedback answered while it is read is read again
# Questions that hold no answer: a page break, a label, an information line, a captcha.
NO_ANSWER = frozenset({"pagebreak", "label", "info", "captcha"})
ENTITY = "feedback"
SECRET = "feedback_response"  # the install's secret that keys an anonymous response's key


class StillChanging(ReportUnstable):
    """The responses kept changing while they were read: nothing of that feedback was applied."""


def sync(run: Run) -> None:
    with run.connection() as connection:
        courses = [c["id"] for c in mirror_reads.live_courses(connection)]
    run.partition(ENTITY, Partition("activities", partial(_fetch_list, run, courses), _apply_list))
    with run.connection() as connection:
        feedbacks = [int(r.id) for r in connection.execute(
            select(mirror_feedbacks.c.id).where(mirror_feedbacks.c.gone_at.is_(None)).order_by(mirror_feedbacks.c.id))]
    run.progress.start(ENTITY, len(feedbacks))
    run.partitions(ENTITY, [Partition(f"feedback:{fid}", partial(_fetch_one, run, fid), partial(_apply_one, fid))
                            for fid in feedbacks])


# --- the activities ------------------------------------------------------------------------------------------------


def _fetch_list(run: Run, courses: list[int]) -> tuple[list[int], list[Feedback], set[int]]:
    """The courses asked about, their feedbacks, and the courses Moodle would not answer for."""
    found: list[Feedback] = []
    refused: set[int] = set()
    for start in range(0, len(courses), COURSES_PER_CALL):
        answer: FeedbacksByCourses = run.client.call("mod_feedback_get_feedbacks_by_courses",
                                                     courseids=courses[start:start + COURSES_PER_CALL])
        found += answer.feedbacks
        refused |= {w.itemid for w in answer.warnings if w.item == "course" and w.itemid is not None}
    return courses, found, refused


def _apply_list(connection: Connection, data: tuple[list[int], list[Feedback], set[int]]) -> dict[str, Changes]:
    courses, found, refused = data
    asked = set(courses) - refused
    fresh: dict[Key, Row] = {f.id: {"id": f.id, "course_id": f.course, "cmid": f.coursemodule, "name": f.name,
                                    "anonymous": f.is_anonymous, "timeopen": f.timeopen or None,
                                    "timeclose": f.timeclose or None} for f in found if f.course in asked}
    existing = mirror.load(connection, mirror_feedbacks)
    # A course not asked about (gone from the mirror) or refused proves nothing about its feedbacks.
    kept = {k: r for k, r in existing.items() if r["course_id"] in asked}
    changes = diff(kept, fresh)
    mirror.apply(connection, mirror_feedbacks, changes, "deleted")
    return {"feedbacks": changes}


# --- one activity: its questions and responses --------------------------------------------------------------------


def _fetch_one(run: Run, feedback_id: int) -> tuple[list[FeedbackItem], ResponsesAnalysis]:
    items: FeedbackItems = run.client.call("mod_feedback_get_items", feedbackid=feedback_id)
    return items.items, _responses(run, feedback_id)


def _responses(run: Run, feedback_id: int) -> ResponsesAnalysis:
    """Every response, page by page; read again from the start when the totals move meanwhile (a new anonymous
    response also renumbers the others)."""
    for _attempt in range(READ_ATTEMPTS):
        pages: list[ResponsesAnalysis] = []
        page = 0
        while True:
            answer: ResponsesAnalysis = run.client.call("mod_feedback_get_responses_analysis", feedbackid=feedback_id,
                                                        page=page, perpage=PER_PAGE)
            pages.append(answer)
            if (page + 1) * PER_PAGE >= max(answer.totalattempts, answer.totalanonattempts):
                break
            page += 1
        first = pages[0]
        named = {a.id: a for p in pages for a in p.attempts}
        anonymous = {a.id: a for p in pages for a in p.anonattempts}
        steady = all((p.totalattempts, p.totalanonattempts) == (first.totalattempts, first.totalanonattempts)
                     for p in pages)
        if steady and len(named) == first.totalattempts and len(anonymous) == first.totalanonattempts:
            return ResponsesAnalysis(attempts=list(named.values()), totalattempts=len(named),
                                     anonattempts=list(anonymous.values()), totalanonattempts=len(anonymous))
    raise StillChanging(f"the responses of feedback {feedback_id} kept changing while they were read")


def _choices(item: FeedbackItem) -> list[list[Any]]:
    return [[c.index, c.value, c.text] for c in item.choices]


def _apply_one(feedback_id: int, connection: Connection,
               data: tuple[list[FeedbackItem], ResponsesAnalysis]) -> dict[str, Changes]:
    items, answers = data
    feedback = connection.execute(select(mirror_feedbacks).where(mirror_feedbacks.c.id == feedback_id)).first()
    anonymous_now = bool(feedback.anonymous) if feedback is not None else True
    kept_items = [i for i in items if i.hasvalue and i.typ not in NO_ANSWER]
    item_rows: dict[Key, Row] = {i.id: {"id": i.id, "feedback_id": feedback_id, "position": i.position, "typ": i.typ,
                                        "name": i.name, "label": i.label, "presentation": i.presentation,
                                        "choices": _choices(i)} for i in kept_items}
    known = set(item_rows)
    secret = install_secret(connection, SECRET)
    responses: dict[Key, Row] = {}
    values: dict[Key, Row] = {}
    for named in answers.attempts:
        # Given with a name to a feedback anonymous now: kept, without the name (nor Moodle's id, nor the time).
        key = anonymous_key(secret, feedback_id, named.id) if anonymous_now else str(named.id)
        responses[key] = {"key": key, "id": None if anonymous_now else named.id, "feedback_id": feedback_id,
                          "course_id": named.courseid, "anonymous": anonymous_now,
                          "user_id": None if anonymous_now else named.userid,
                          "timemodified": None if anonymous_now else named.timemodified}
        values |= _values(feedback_id, key, named.responses, known)
    for anonymous in answers.anonattempts:
        key = anonymous_key(secret, feedback_id, anonymous.id)
        responses[key] = {"key": key, "id": None, "feedback_id": feedback_id, "course_id": anonymous.courseid,
                          "anonymous": True, "user_id": None, "timemodified": None}
        values |= _values(feedback_id, key, anonymous.responses, known)
    if anonymous_now:
        _forget_names(connection, feedback_id)
    scope = {"feedback_id": feedback_id}
    # In the order of their keys: an anonymous response's key tells nothing of when it was given.
    responses = dict(sorted(responses.items()))
    values = dict(sorted(values.items()))
    changes = {
        "feedback_items": mirror.refresh(connection, mirror_feedback_items, item_rows, "deleted", scope=scope),
        "feedback_responses": mirror.refresh(connection, mirror_feedback_responses, responses, "deleted",
                                             scope=scope),
        "feedback_answers": mirror.refresh(connection, mirror_feedback_answers, values, "deleted", scope=scope),
    }
    if any(r["anonymous"] for r in changes["feedback_responses"].added) or any(
            responses.get(r["response_key"], {}).get("anonymous") for r in changes["feedback_answers"].added):
        _rewrite_anonymous(connection, feedback_id)
    return changes


def anonymous_key(secret: bytes, feedback_id: int, response_id: int) -> str:
    """An anonymous response's key in the mirror: "a" and 32 hex digits of HMAC-SHA256 of the feedback's and Moodle's
    response ids under the install's secret. The same response has the same key at every sync; without the secret it
    tells neither Moodle's id nor which response came first."""
    return "a" + keyed_hash(secret, feedback_id, response_id)


def _forget_names(connection: Connection, feedback_id: int) -> None:
    """A feedback anonymous now: the rows it had under Moodle's ids (named, when it was not) are deleted, not marked
    gone (a gone row would keep the name); the sync adds its responses again, under their anonymous keys."""
    named = select(mirror_feedback_responses.c.key).where(mirror_feedback_responses.c.feedback_id == feedback_id,
                                                          mirror_feedback_responses.c.anonymous.is_(False))
    keys = [r.key for r in connection.execute(named)]
    if keys:
        connection.execute(delete(mirror_feedback_answers).where(mirror_feedback_answers.c.response_key.in_(keys)))
        connection.execute(delete(mirror_feedback_responses).where(mirror_feedback_responses.c.key.in_(keys)))


def _rewrite_anonymous(connection: Connection, feedback_id: int) -> None:
    """A feedback's anonymous responses and their answers (gone ones too) deleted and written again in the order of
    their keys: a new one then lies among the others as its key falls, not after them (a table's rows lie, and are
    read without an order, in the order they were written)."""
    responses = mirror_feedback_responses
    rows = [dict(r._mapping) for r in connection.execute(select(responses).where(
        responses.c.feedback_id == feedback_id, responses.c.anonymous.is_(True)).order_by(responses.c.key))]
    keys = [r["key"] for r in rows]
    answers = mirror_feedback_answers
    given = [dict(r._mapping) for r in connection.execute(select(answers).join(
        responses, and_(responses.c.key == answers.c.response_key, responses.c.anonymous.is_(True))).where(
        answers.c.feedback_id == feedback_id).order_by(answers.c.response_key, answers.c.item_id))]
    connection.execute(delete(answers).where(answers.c.feedback_id == feedback_id,
                                             answers.c.response_key.in_(keys)))
    connection.execute(delete(responses).where(responses.c.key.in_(keys)))
    if rows:
        connection.execute(insert(responses), rows)
    if given:
        connection.execute(insert(answers), given)


def _values(feedback_id: int, response_key: str, given: list[Any], known: set[Key]) -> dict[Key, Row]:
    """A response's answers to the questions kept (an unanswered question has no row)."""
    return {(response_key, v.id): {"response_key": response_key, "item_id": v.id, "feedback_id": feedback_id,
                                   "value": v.rawval}
            for v in given if v.id in known and v.rawval not in (None, "")}


LABEL = N_("course evaluations and training needs (Feedback)")
SIDE = {"feedbacks": N_("Feedback activities"), "feedback_responses": N_("Feedback responses")}

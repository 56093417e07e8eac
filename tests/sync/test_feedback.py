"""The Feedback entity (issue 15, item 4): activities, questions and responses mirrored from the simulator, which
answers as Moodle's mod/feedback external functions do; anonymous responses never carry a user, nor Moodle's id."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from moodle_bridge.simulator.feedback import Response, feedbacks_of
from moodle_bridge.store.schema import (
    install_secrets,
    mirror_feedback_answers,
    mirror_feedback_items,
    mirror_feedback_responses,
    mirror_feedbacks,
)
from moodle_bridge.store.secrets import keyed_hash


def _rows(engine, table):
    with engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(select(table))]


def test_off_by_default_nothing_is_read(harness_factory):
    h = harness_factory("report")
    summary = h.sync()
    assert summary.ok
    assert not any(c.function.startswith("mod_feedback_") for c in h.moodle.calls)
    assert _rows(h.engine, mirror_feedbacks) == []


def test_feedbacks_questions_and_responses_are_mirrored(harness_factory):
    h = harness_factory("report")
    h.settings.features.feedback = True
    summary = h.sync()
    assert summary.ok, summary.errors
    site = feedbacks_of(h.site)
    feedbacks = {r["id"]: r for r in _rows(h.engine, mirror_feedbacks)}
    assert set(feedbacks) == set(site)
    for fid, made in site.items():
        assert feedbacks[fid]["anonymous"] == (made.anonymous == 1)
        assert feedbacks[fid]["course_id"] == made.course
    items = {r["id"]: r for r in _rows(h.engine, mirror_feedback_items)}
    rated = next(r for r in items.values() if r["typ"] == "multichoicerated")
    assert rated["choices"][0] == [1, 5.0, "Excellent"] and rated["choices"][-1] == [5, 1.0, "Very poor"]
    assert not any(r["typ"] == "pagebreak" for r in items.values())  # no answer: not a question kept
    responses = _rows(h.engine, mirror_feedback_responses)
    assert len(responses) == sum(len(f.responses) for f in site.values())
    secret = _secret(h.engine)
    by_key = {(f"a{keyed_hash(secret, f.id, r.id)}" if f.anonymous == 1 else str(r.id)): (f, r)
              for f in site.values() for r in f.responses}
    for row in responses:
        made, given = by_key[row["key"]]
        if made.anonymous == 1:
            assert row["anonymous"] and row["user_id"] is None and row["timemodified"] is None and row["id"] is None
        else:
            assert row["id"] == given.id and row["user_id"] == given.userid and row["timemodified"] == given.time
    answers = _rows(h.engine, mirror_feedback_answers)
    assert len(answers) == sum(len(r.values) for f in site.values() for r in f.responses)


def test_anonymous_responses_never_store_a_user(harness_factory):
    """Not from the anonymous list, not from a named feedback made anonymous later, not by a writer that tries."""
    h = harness_factory("report")
    h.settings.features.feedback = True
    assert h.sync().ok
    named = next(f for f in feedbacks_of(h.site).values() if f.anonymous == 2 and f.responses)
    named.anonymous = 1  # a teacher makes it anonymous: what was given with a name stays, without it
    h.site.revision += 1
    assert h.sync().ok
    rows = [r for r in _rows(h.engine, mirror_feedback_responses) if r["feedback_id"] == named.id]
    assert len(rows) == len(named.responses)  # the named rows deleted, not kept gone with their names
    assert all(r["anonymous"] and r["user_id"] is None and r["timemodified"] is None and r["id"] is None
               for r in rows)
    assert {r["key"] for r in rows} == {f"a{keyed_hash(_secret(h.engine), named.id, r.id)}" for r in named.responses}
    kept = {a["response_key"] for a in _rows(h.engine, mirror_feedback_answers) if a["feedback_id"] == named.id}
    assert kept <= {r["key"] for r in rows}
    anonymous = [r for r in _rows(h.engine, mirror_feedback_responses) if r["anonymous"]]
    assert anonymous and all(r["user_id"] is None for r in anonymous)
    with pytest.raises(IntegrityError), h.engine.begin() as connection:
        connection.execute(mirror_feedback_responses.insert().values(
            key="x", feedback_id=named.id, course_id=named.course, anonymous=True, user_id=6))
    with pytest.raises(IntegrityError), h.engine.begin() as connection:
        connection.execute(mirror_feedback_responses.insert().values(
            key="y", id=5002, feedback_id=named.id, course_id=named.course, anonymous=True))


def _secret(engine):
    with engine.connect() as connection:
        return bytes.fromhex(connection.execute(select(install_secrets.c.value)).scalar_one())


def test_an_anonymous_response_is_kept_under_a_key_not_moodles_id(harness_factory):
    """The review's case: Moodle's ids count up across the site in the order people submit, so an anonymous response
    kept under its id would sit next to the named one given just before it. Its key is a keyed hash instead: not
    the id, not in the ids' order, the same at the next sync; a new one lies among the others as its key falls."""
    h = harness_factory("report")
    h.settings.features.feedback = True
    assert h.sync().ok
    site = feedbacks_of(h.site)
    made = next(f for f in site.values() if f.anonymous == 1 and len(f.responses) > 2)
    first = {r["key"]: r for r in _rows(h.engine, mirror_feedback_responses) if r["feedback_id"] == made.id}
    ids = sorted(r.id for r in made.responses)
    assert len(first) == len(ids) and all(r["id"] is None for r in first.values())
    keys = [f"a{keyed_hash(_secret(h.engine), made.id, i)}" for i in ids]
    assert set(first) == set(keys) and keys != sorted(keys)  # by the ids' order, the keys are shuffled
    assert not any(str(i) in k for i in ids for k in first)
    assert len(_secret(h.engine)) == 32
    learner = next(e.userid for e in h.site.course_enrolments(made.course))
    made.responses.append(Response(999_002, learner, made.course, True, h.site.now - 60, {made.items[0].id: "1"}))
    h.site.revision += 1
    summary = h.sync()
    assert summary.ok, summary.errors
    second = {r["key"]: r for r in _rows(h.engine, mirror_feedback_responses) if r["feedback_id"] == made.id}
    assert set(first) < set(second) and all(r["gone_at"] is None for r in second.values())  # the same keys kept
    assert summary.counts["feedback_responses"]["added"] == 1
    stored = [r["key"] for r in _rows(h.engine, mirror_feedback_responses) if r["feedback_id"] == made.id]
    assert stored == sorted(stored)  # read without an order: the key's, not the order given in
    made.responses.pop(0)  # deleted in Moodle: its key is marked gone
    h.site.revision += 1
    assert h.sync().ok
    gone = {r["key"] for r in _rows(h.engine, mirror_feedback_responses) if r["gone_at"] is not None}
    assert gone == {f"a{keyed_hash(_secret(h.engine), made.id, min(ids))}"}


def test_a_new_response_and_a_deleted_one(harness_factory):
    h = harness_factory("report")
    h.settings.features.feedback = True
    assert h.sync().ok
    made = next(f for f in feedbacks_of(h.site).values() if f.anonymous == 2 and len(f.responses) > 2)
    gone = made.responses.pop(0)
    learner = next(e.userid for e in h.site.course_enrolments(made.course)
                   if e.userid not in {r.userid for r in made.responses})
    made.responses.append(Response(999_001, learner, made.course, False, h.site.now - 60, {made.items[0].id: "1"}))
    summary = h.sync()
    assert summary.ok
    rows = {r["key"]: r for r in _rows(h.engine, mirror_feedback_responses)}
    assert rows["999001"]["user_id"] == learner and rows["999001"]["gone_at"] is None
    assert rows[str(gone.id)]["gone_at"] is not None  # deleted in Moodle: marked gone, kept
    assert summary.counts["feedback_responses"]["added"] == 1


def test_responses_are_read_in_pages(harness_factory, monkeypatch):
    from moodle_bridge.sync.entities import feedback as entity

    monkeypatch.setattr(entity, "PER_PAGE", 7)
    h = harness_factory("report")
    h.settings.features.feedback = True
    assert h.sync().ok
    reads = [c for c in h.moodle.calls if c.function == "mod_feedback_get_responses_analysis"]
    assert len(reads) > len(feedbacks_of(h.site))  # several pages a feedback
    assert len(_rows(h.engine, mirror_feedback_responses)) == sum(len(f.responses)
                                                                  for f in feedbacks_of(h.site).values())

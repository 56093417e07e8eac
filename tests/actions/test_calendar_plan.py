"""The calendar planner, pure: wanted events against kept events."""

from __future__ import annotations

from datetime import date

import pytest

from moodle_bridge.actions.calendar_plan import EventKey, KeptEvent, WantedEvent, plan

KEY = EventKey(8, "township_and_below", "required_courses")
OTHER = EventKey(9, "township_and_below", "required_reading")


def _wanted(key=KEY, due=date(2026, 6, 30), name="Due 30 June 2026: PT26-001"):
    return WantedEvent(key, "groups.township_and_below.requirements[2]", due, 1782835140, name, "<p>x</p>", 3)


def _kept(key=KEY, event_id=4, due=date(2026, 6, 30), name="Due 30 June 2026: PT26-001"):
    return KeptEvent(key, event_id, due, 1782835140 if due == date(2026, 6, 30) else 1785513540, name, "<p>x</p>")


def test_a_wanted_event_not_kept_is_created_and_one_kept_as_wanted_is_left_alone():
    steps = plan([_wanted()], [])
    assert [(s.op, s.why, s.key) for s in steps] == [("create", "owed", KEY)]
    assert plan([_wanted()], [_kept()]) == []


def test_a_due_date_that_moves_updates_the_event_and_new_words_reword_it():
    (moved,) = plan([_wanted()], [_kept(due=date(2026, 7, 31))])
    assert (moved.op, moved.why, moved.kept.event_id, moved.wanted.due) == ("update", "moved", 4, date(2026, 6, 30))
    (reworded,) = plan([_wanted(name="截止 2026 年 6 月 30 日")], [_kept()])
    assert (reworded.op, reworded.why) == ("update", "reworded")


def test_a_kept_event_no_longer_wanted_is_deleted_as_met_or_lifted():
    steps = plan([], [_kept(), _kept(OTHER, 5)], met={KEY})
    assert [(s.op, s.why, s.kept.event_id) for s in steps] == [("delete", "met", 4), ("delete", "lifted", 5)]


def test_never_two_events_of_one_key():
    steps = plan([_wanted()], [_kept(event_id=4), _kept(event_id=7)])
    assert [(s.op, s.why, s.kept.event_id) for s in steps] == [("delete", "duplicate", 7)]
    with pytest.raises(ValueError):
        plan([_wanted(), _wanted()], [])


def test_a_pending_row_is_created_again_while_wanted_else_forgotten():
    """event_id 0: a create whose outcome is unknown; never compared, never deleted in Moodle by an id."""
    (again,) = plan([_wanted()], [_kept(event_id=0, due=date(2026, 7, 31))])
    assert (again.op, again.why, again.kept.pending) == ("create", "unconfirmed", True)
    (gone,) = plan([], [_kept(event_id=0)], met={KEY})
    assert (gone.op, gone.why, gone.kept.pending) == ("delete", "met", True)

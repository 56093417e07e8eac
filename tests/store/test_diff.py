"""diff: what changed between the mirror and a fresh read (pure)."""

from __future__ import annotations

from moodle_bridge.store.diff import Changes, diff


def _row(key, value, gone=False):
    return {"id": key, "value": value, "gone_at": "then" if gone else None, "gone_reason": "deleted" if gone else None}


def test_added_changed_unchanged_and_gone_by_default_when_absent():
    existing = {1: _row(1, "a"), 2: _row(2, "b"), 3: _row(3, "c")}
    fresh = {1: {"id": 1, "value": "a"}, 2: {"id": 2, "value": "B"}, 4: {"id": 4, "value": "d"}}
    changes = diff(existing, fresh)
    assert changes.added == [fresh[4]] and changes.changed == [fresh[2]]
    assert changes.unchanged == 1 and changes.gone == [3]
    assert changes.counts() == {"added": 1, "changed": 1, "gone": 1, "unchanged": 1}


def test_absence_proves_nothing_when_candidates_are_given():
    existing = {1: _row(1, "a"), 2: _row(2, "b")}
    changes = diff(existing, {}, gone_candidates=[2, 9])  # 9: not mirrored, never "gone"
    assert changes.gone == [2]


def test_a_row_back_after_being_gone_is_changed_and_a_gone_row_is_not_gone_again():
    existing = {1: _row(1, "a", gone=True), 2: _row(2, "b", gone=True)}
    changes = diff(existing, {1: {"id": 1, "value": "a"}})
    assert changes.changed == [{"id": 1, "value": "a"}] and changes.gone == []


def test_empty():
    assert Changes().empty and not Changes(gone=[1]).empty

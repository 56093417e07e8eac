"""Moodle's answers as mirror rows (pure)."""

from __future__ import annotations

import hashlib

from moodle_bridge.moodle.models import User
from moodle_bridge.sync.rows import looks_deleted


def _user(**fields) -> User:
    return User.model_validate({"id": 10, "fullname": "Lijun Xiao", **fields})


def test_a_deleted_user_is_recognised_by_what_moodle_rewrites():
    # As recorded on a real Moodle 5.1 (snapshot-b, user 10): no deleted flag, suspended false.
    remains = _user(username="lijun.xiao.cd260003@cadre.example.invalid.1796040009",
                    email=hashlib.md5(b"cd260003").hexdigest(), suspended=False)
    assert looks_deleted(remains, known_username="cd260003")
    assert looks_deleted(remains)  # without the old username: the two rewritten fields together


def test_a_live_user_is_not_deleted():
    live = _user(username="cd260003", email="lijun.xiao.cd260003@cadre.example.invalid", idnumber="CD260003")
    assert not looks_deleted(live, known_username="cd260003")
    # A username that happens to end in digits, with a real address, is not deleted either.
    assert not looks_deleted(_user(username="zhang.1796040009", email="zhang@example.invalid"))
    # An md5-looking address alone is not enough while the user keeps an ID number.
    assert not looks_deleted(_user(username="a.1796040009", email="0" * 32, idnumber="CD1"))

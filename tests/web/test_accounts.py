"""Staff accounts: a reviewer's units must be units the store knows."""

from __future__ import annotations

import pytest

from moodle_bridge.store import connect, upgrade
from moodle_bridge.web import accounts

from .conftest import PASSWORD, review_store


def test_a_reviewer_for_a_unit_no_evaluation_has_is_refused(tmp_path):
    engine = review_store(tmp_path / "store.db")
    with pytest.raises(accounts.AccountError, match="no unit UNIT-999"):
        accounts.add(engine, "typo", PASSWORD, "reviewer", ["U1", "UNIT-999"])
    accounts.add(engine, "fine", PASSWORD, "reviewer", ["U1", "U2"])
    assert {a["username"] for a in accounts.listing(engine)} >= {"fine"}
    assert "typo" not in {a["username"] for a in accounts.listing(engine)}


def test_before_the_first_evaluation_no_unit_can_be_checked_and_none_is_refused(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'empty.db'}")
    upgrade(engine)
    accounts.add(engine, "early", PASSWORD, "reviewer", ["U1"])
    assert [a["units"] for a in accounts.listing(engine)] == [["U1"]]

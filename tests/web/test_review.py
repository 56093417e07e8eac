"""The review service without HTTP: each action writes its event (and exemption or message) and its audit line."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from moodle_bridge.results import CadreResult
from moodle_bridge.store import connect, upgrade
from moodle_bridge.store.schema import audit_log, exemptions, message_queue, review_events
from moodle_bridge.web import review

CADRE = CadreResult(judged_in=1, cadre_id="A1", user_id=7, name="Alice", unit_code="U1", unit_name="Unit One",
                    groups=["township"], status="at_risk", hours_online=10, hours_offline=5, required_hours=90)


@pytest.fixture
def engine(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def test_each_action_writes_its_event_and_is_audited(engine):
    review.act(engine, CADRE, review.Action("reviewed"), "one")
    review.act(engine, CADRE, review.Action("note", text="called her"), "one")
    detail = review.act(engine, CADRE, review.Action.from_form(
        {"action": "excuse", "text": " medical leave ", "from": "2026-03-01", "to": "2026-08-31", "effect": "full"}),
        "one")
    review.act(engine, CADRE, review.Action("message", text="Please finish"), "one")
    assert detail == {"from": "2026-03-01", "to": "2026-08-31", "effect": "full"}
    with engine.connect() as c:
        events = [(r.kind, r.text, r.unit_code)
                  for r in c.execute(sa.select(review_events).order_by(review_events.c.id))]
        exemption = c.execute(sa.select(exemptions)).one()
        message = c.execute(sa.select(message_queue)).one()
        audited = [(r.action, r.target) for r in c.execute(sa.select(audit_log).order_by(audit_log.c.id))]
    assert events == [("reviewed", None, "U1"), ("note", "called her", "U1"), ("excused", "medical leave", "U1"),
                      ("message_queued", "Please finish", "U1")]
    assert (exemption.cadre_id, exemption.reason, exemption.start, exemption.effect, exemption.source) == (
        "A1", "medical leave", date(2026, 3, 1), "full", "review")
    assert (message.user_id, message.queued_by) == (7, "one")
    assert audited == [("review:reviewed", "A1"), ("review:note", "A1"), ("review:excuse", "A1"),
                       ("review:message", "A1")]


@pytest.mark.parametrize("action", [
    review.Action("excuse", text="leave", start="2026-13-01", end="2026-12-31"),
    review.Action("excuse", text="", start="2026-01-01", end="2026-12-31"),
    review.Action("excuse", text="leave", start="2026-12-31", end="2026-01-01"),
    review.Action("excuse", text="for ever", start="0001-01-01", end="9999-12-31"),  # outside 1990..2100
    review.Action("excuse", text="leave", start="1989-12-31", end="2026-12-31"),
    review.Action("note", text="x" * (review.MAX_TEXT + 1)),
    review.Action("note"), review.Action("message"), review.Action("delete")])
def test_a_refused_action_writes_nothing(engine, action):
    with pytest.raises(review.ReviewError):
        review.act(engine, CADRE, action, "one")
    with engine.connect() as c:
        for table in (review_events, exemptions, message_queue, audit_log):
            assert c.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0

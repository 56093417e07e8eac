"""The review page's writes: a reviewer marks a cadre reviewed, adds a note, excuses them or queues a Moodle message.

Every action is one review event (and, for an excuse, an exemption the next evaluation honours; for a message, a
queued message), written in one transaction, then audited. The caller has already checked the reviewer may see the
cadre (results.cadre_file with their scope). Nothing here knows of HTTP.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert

from ..i18n import N_, _
from ..results import CadreResult
from ..rules.bounds import EARLIEST, LATEST, sane_date
from ..store.schema import exemptions, message_queue, review_events
from . import audit

ACTIONS = ("reviewed", "note", "excuse", "message")
# Review states and kinds kept as data, translated where shown.
WORDS = [N_("open"), N_("reviewed"), N_("excused"), N_("note"), N_("message_queued")]
EVENT_KINDS = {"excuse": "excused", "message": "message_queued"}
MAX_TEXT = 4000  # characters of a note, a reason or a message


class ReviewError(ValueError):
    """The action cannot be taken as asked (the message says why, in the staff's language)."""


@dataclass(frozen=True)
class Action:
    """A review action as the reviewer asked it: the action, its text, and for an excuse its dates and effect."""

    kind: str
    text: str = ""
    start: str = ""
    end: str = ""
    effect: str = "prorate"

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Action:
        return cls(kind=form.get("action", ""), text=form.get("text", "").strip(), start=form.get("from", ""),
                   end=form.get("to", ""), effect=form.get("effect", ""))


def act(engine: Engine, cadre: CadreResult, action: Action, staff: str) -> dict[str, Any]:
    """Take the action on the cadre as this staff member, and audit it; the detail audited. Raises ReviewError."""
    now = datetime.now(UTC)
    detail: dict[str, Any] = {}
    if len(action.text) > MAX_TEXT:
        raise ReviewError(_("The text is too long (at most {n} characters).").format(n=MAX_TEXT))
    with engine.begin() as connection:
        if action.kind == "excuse":
            try:
                start, end = date.fromisoformat(action.start), date.fromisoformat(action.end)
            except ValueError:
                raise ReviewError(_("Give the dates as YYYY-MM-DD.")) from None
            try:
                sane_date(start), sane_date(end)
            except ValueError:
                raise ReviewError(_("Give dates from {earliest} to {latest}.").format(
                    earliest=EARLIEST.isoformat(), latest=LATEST.isoformat())) from None
            if not action.text or end < start:
                raise ReviewError(_("An excuse needs a reason and a date range."))
            effect = "full" if action.effect == "full" else "prorate"
            connection.execute(insert(exemptions).values(
                key=secrets.token_hex(16), cadre_id=cadre.cadre_id, reason=action.text, start=start, end=end,
                effect=effect, source="review", created_at=now))
            detail = {"from": start.isoformat(), "to": end.isoformat(), "effect": effect}
        elif action.kind == "message":
            if not action.text:
                raise ReviewError(_("Write the message."))
            connection.execute(insert(message_queue).values(cadre_id=cadre.cadre_id, user_id=cadre.user_id,
                                                            text=action.text, queued_by=staff, queued_at=now))
        elif action.kind not in ("reviewed", "note"):
            raise ReviewError(_("Unknown action."))
        if action.kind == "note" and not action.text:
            raise ReviewError(_("Write the note."))
        connection.execute(insert(review_events).values(
            cadre_id=cadre.cadre_id, unit_code=cadre.unit_code, kind=EVENT_KINDS.get(action.kind, action.kind),
            text=action.text or None, detail=detail, staff=staff, created_at=now))
    audit.record(engine, staff, f"review:{action.kind}", cadre.cadre_id, **detail)
    return detail

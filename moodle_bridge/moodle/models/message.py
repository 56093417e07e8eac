from __future__ import annotations

from ._base import MoodleModel


class SentMessage(MoodleModel):
    """``core_message_send_instant_messages``: ``msgid == -1`` with ``errormessage`` is a refusal."""

    ignored_keys = frozenset({"candeletemessagesforallusers", "conversationid", "useridfrom", "text"})

    msgid: int
    clientmsgid: str | None = None
    errormessage: str | None = None
    timecreated: int | None = None

    @property
    def delivered(self) -> bool:
        return self.msgid > 0 and not self.errormessage

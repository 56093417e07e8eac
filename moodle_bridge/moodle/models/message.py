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


class MemberInfo(MoodleModel):
    """``core_message_get_member_info``: one user as the reference user sees them for messaging.

    ``canmessage`` (may the reference user message them) and ``requirescontact`` (they accept
    messages from contacts only) are filled only when asked with ``includeprivacyinfo``.
    """

    ignored_keys = frozenset({"profileurl", "profileimageurl", "profileimageurlsmall", "isonline",
                              "showonlinestatus", "canmessageevenifblocked", "contactrequests", "conversations"})

    id: int
    fullname: str
    isdeleted: bool
    iscontact: bool
    isblocked: bool
    canmessage: bool | None = None
    requirescontact: bool | None = None

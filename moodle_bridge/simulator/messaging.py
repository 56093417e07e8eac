"""Moodle's private messages: who may message whom, answered as a real Moodle 5.1 answers.

A second reading of Moodle's source (repository moodle/moodle, the 4.2+ line that 5.1 continues):

- ``message/externallib.php`` ``send_instant_messages``: messaging must be on (``$CFG->messaging``,
  else ``disabled``); the caller needs ``moodle/site:sendmessage`` at system level (else
  ``nopermissions``); then, message by message, a recipient that does not exist or is deleted gets
  ``touserdoesntexist``, and one ``\\core_message\\api::can_send_message`` refuses gets
  ``usercantbemessaged`` with the recipient's full name, both as ``msgid: -1`` with an
  ``errormessage``; the call itself succeeds. (Its check of a text longer than 4,096 bytes is not
  simulated.)
- ``message/classes/api.php`` ``can_send_message``: no ``moodle/site:sendmessage``, no message;
  ``moodle/site:readallmessages`` bypasses everything; else ``can_contact_user``:
  ``moodle/site:messageanyuser`` at system level (or messaging oneself) allows at once, before the
  recipient's block list and privacy preference are looked at; a recipient who blocked the sender
  refuses; preference "site" allows; otherwise a contact is allowed, and with "course members"
  (the default) so is someone sharing a course; a refusal is lifted where the sender holds
  ``moodle/site:messageanyuser`` in a shared course (teachers' archetypes).
- ``get_user_privacy_messaging_preference``: the user preference ``message_blocknoncontacts``
  (0 course members, 1 contacts only, 2 anyone on the site); unset, it is 2 when the site setting
  ``messagingallusers`` (Allow site-wide messaging) is on and 0 otherwise; a stored 2 counts as 0
  while that setting is off.
- ``lib/enrollib.php`` ``enrol_get_shared_courses``: visible courses where both users' enrolments
  are active (start and end dates are ignored).
- ``message/classes/helper.php`` ``get_member_info`` behind ``core_message_get_member_info``: who is a
  contact, whether the member may be messaged by the reference user (``canmessage``, with
  ``includeprivacyinfo`` only) and whether they accept contacts only (``requirescontact``). Only the
  caller may be the reference user, unless they hold ``moodle/site:readallmessages``.

The state Moodle keeps for this (site settings, preferences, contacts, blocks, the system-level
capabilities of the users that matter) lives in :class:`Messaging`, reached with :func:`messaging`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .data import Message, Site, User
from .protocol import Args, Context, JsonObject, SimError, handler, picture

PRIVACY_COURSEMEMBER, PRIVACY_ONLYCONTACTS, PRIVACY_SITE = 0, 1, 2
SENDMESSAGE = "moodle/site:sendmessage"
MESSAGEANYUSER = "moodle/site:messageanyuser"
READALLMESSAGES = "moodle/site:readallmessages"
DELETEANYMESSAGE = "moodle/site:deleteanymessage"
ADMIN_ID = 2
# The role README's "Preparing Moodle" gives the integration user, as far as messages go.
README_ROLE = frozenset({SENDMESSAGE, MESSAGEANYUSER})
# Everyone else: the "Authenticated user" role, whose archetype allows sending messages.
AUTHENTICATED_USER = frozenset({SENDMESSAGE})
# Course roles whose archetypes allow moodle/site:messageanyuser in their courses (lib/db/access.php).
COURSE_ROLES_MESSAGING_ANYONE = frozenset({"editingteacher", "teacher", "manager"})


@dataclass
class Messaging:
    """What Moodle knows about messaging on one site."""

    enabled: bool = True  # $CFG->messaging, "Enable messaging system" (on by default)
    allusers: bool = False  # $CFG->messagingallusers, "Allow site-wide messaging" (off by default)
    preferences: dict[int, int] = field(default_factory=dict)  # message_blocknoncontacts, when a user set it
    contacts: set[frozenset[int]] = field(default_factory=set)  # message_contacts, either direction
    blocked: set[tuple[int, int]] = field(default_factory=set)  # message_users_blocked: (userid, blockeduserid)
    capabilities: dict[int, frozenset[str]] = field(default_factory=dict)  # system level, when not the default

    # --- what the site's users hold -------------------------------------------------------------

    def capabilities_of(self, site: Site, userid: int) -> frozenset[str]:
        if userid in self.capabilities:
            return self.capabilities[userid]
        if userid == ADMIN_ID:  # a site administrator has every capability
            return frozenset({SENDMESSAGE, MESSAGEANYUSER, READALLMESSAGES, DELETEANYMESSAGE})
        return README_ROLE if userid == site.integration_user_id else AUTHENTICATED_USER

    def privacy(self, userid: int) -> int:
        default = PRIVACY_SITE if self.allusers else PRIVACY_COURSEMEMBER
        value = self.preferences.get(userid, default)
        return PRIVACY_COURSEMEMBER if value == PRIVACY_SITE and not self.allusers else value

    def is_contact(self, a: int, b: int) -> bool:
        return frozenset({a, b}) in self.contacts

    # --- changes a test makes ---------------------------------------------------------------------

    def add_contact(self, a: int, b: int) -> None:
        self.contacts.add(frozenset({a, b}))

    def block(self, userid: int, blockeduserid: int) -> None:
        self.blocked.add((userid, blockeduserid))

    # --- \core_message\api ------------------------------------------------------------------------

    def can_send_message(self, site: Site, recipient: int, sender: int, evenifblocked: bool = False) -> bool:
        held = self.capabilities_of(site, sender)
        if SENDMESSAGE not in held:
            return False
        if READALLMESSAGES in held:
            return True
        return self._can_contact_user(site, recipient, sender, evenifblocked)

    def _can_contact_user(self, site: Site, recipient: int, sender: int, evenifblocked: bool) -> bool:
        if MESSAGEANYUSER in self.capabilities_of(site, sender) or recipient == sender:
            return True
        shared = None
        if (recipient, sender) in self.blocked or evenifblocked:
            allowed = False
        else:
            preference = self.privacy(recipient)
            if preference == PRIVACY_SITE:
                allowed = True
            else:
                allowed = self.is_contact(sender, recipient)
                if not allowed and preference == PRIVACY_COURSEMEMBER:
                    shared = shared_courses(site, recipient, sender)
                    allowed = bool(shared)
        if not allowed:
            shared = shared_courses(site, recipient, sender) if shared is None else shared
            allowed = any(site.enrolments[(c, sender)].role in COURSE_ROLES_MESSAGING_ANYONE for c in shared)
        return allowed


def shared_courses(site: Site, a: int, b: int) -> list[int]:
    """Visible courses where both are enrolled and neither enrolment is suspended."""
    def active(courseid: int, userid: int) -> bool:
        enrolment = site.enrolments.get((courseid, userid))
        return enrolment is not None and enrolment.status == 0
    return [c for c in site.user_courses(a) if site.courses.get(c) is not None and site.courses[c].visible
            and active(c, a) and active(c, b)]


def messaging(site: Site) -> Messaging:
    """The site's messaging state, made on first use.

    A few cadres have set their own preference, as on a real site: one in twenty (user ids 7, 27,
    47, ...) accepts messages from contacts only, another one in twenty (13, 33, ...) chose "my
    contacts and anyone in my courses" by hand, which stays so when site-wide messaging is on.
    """
    state = site.__dict__.get("_messaging")
    if state is None:
        state = site.__dict__["_messaging"] = Messaging()
        for user in site.users.values():
            if user.idnumber and user.id % 20 == 7:
                state.preferences[user.id] = PRIVACY_ONLYCONTACTS
            elif user.idnumber and user.id % 20 == 13:
                state.preferences[user.id] = PRIVACY_COURSEMEMBER
    return state


def _disabled() -> SimError:
    return SimError("disabled", "Messaging is disabled on this site")


def _recipient(site: Site, userid: int) -> User | None:
    user = site.users.get(userid)
    return None if user is None or user.deleted else user


# --- core_message_send_instant_messages --------------------------------------------------------


@handler("core_message_send_instant_messages")
def send_messages(ctx: Context, args: Args) -> list[JsonObject]:
    state, site, sender = messaging(ctx.site), ctx.site, ctx.caller.userid
    if not state.enabled:
        raise _disabled()
    held = state.capabilities_of(site, sender)
    if SENDMESSAGE not in held:
        raise SimError("nopermissions", "Sorry, but you do not currently have permissions to do that "
                       "(Send messages to any user).", "core\\exception\\required_capability_exception")
    results: list[tuple[JsonObject, Message | None, str | None]] = []
    sent = False
    for item in args["messages"]:
        target = _recipient(site, item["touserid"])
        error: str | None = None
        if target is None:
            error = f"You can not send a message to a user id ({item['touserid']}) that doesn't exist"
        elif not state.can_send_message(site, target.id, sender):
            error = (f"You can't message {target.fullname} due to their message preferences. "
                     "Try adding them as a contact.")
        if target is None or error is not None:
            results.append((item, None, error))
            continue
        message = Message(site.next_id(), target.id, sender, f"<p>{item['text']}</p>", item.get("clientmsgid"),
                          site.now)
        site.messages.append(message)
        results.append((item, message, None))
        sent = True
    candelete = DELETEANYMESSAGE in held
    return [_answer(item, message, error, sent, sender, candelete) for item, message, error in results]


def _answer(item: JsonObject, message: Message | None, error: str | None, any_sent: bool, sender: int,
            candelete: bool) -> JsonObject:
    """One result, keys in the declared order (Moodle's clean_returnvalue rebuilds them so).

    When at least one message of the call went out, Moodle decorates every result with the stored
    message's conversation, sender and text, also the refused ones, whose record does not exist:
    those get conversationid null, the caller as useridfrom and an empty text.
    """
    answer: JsonObject = {"msgid": message.id if message else -1}
    if item.get("clientmsgid") is not None:
        answer["clientmsgid"] = item["clientmsgid"]
    if error is not None:
        answer["errormessage"] = error
    if message is not None:
        answer.update(text=message.text, timecreated=message.timecreated, conversationid=message.id,
                      useridfrom=sender)
    elif any_sent:
        answer.update(text="", conversationid=None, useridfrom=sender)
    answer["candeletemessagesforallusers"] = candelete
    return answer


# --- core_message_get_member_info ---------------------------------------------------------------


@handler("core_message_get_member_info")
def member_info(ctx: Context, args: Args) -> list[JsonObject]:
    state, site = messaging(ctx.site), ctx.site
    if not state.enabled:
        raise _disabled()
    reference = args["referenceuserid"]
    if reference != ctx.caller.userid and READALLMESSAGES not in state.capabilities_of(site, ctx.caller.userid):
        raise SimError("You do not have permission to perform this action.",
                       "error/You do not have permission to perform this action.")
    members, seen = [], set()
    for userid in args["userids"]:
        user = site.users.get(userid)
        if user is None or userid in seen:  # unknown ids are left out; each member once, first place kept
            continue
        seen.add(userid)
        members.append(_member(ctx, state, reference, user, args["includeprivacyinfo"]))
    return members


def _member(ctx: Context, state: Messaging, reference: int, user: User, privacy: bool) -> JsonObject:
    site = ctx.site
    canmessageifblocked = state.can_send_message(site, reference, user.id, evenifblocked=True)
    member = {
        "id": user.id, "fullname": user.fullname, "profileurl": f"{ctx.siteurl}/user/profile.php?id={user.id}",
        "profileimageurl": picture(ctx, "f1"), "profileimageurlsmall": picture(ctx, "f2"),
        # The integration user may see last access (moodle/user:viewhiddendetails); nobody is online.
        "isonline": False, "showonlinestatus": not user.deleted,
        "isblocked": (reference, user.id) in state.blocked and not canmessageifblocked,
        "iscontact": state.is_contact(reference, user.id), "isdeleted": user.deleted,
        "canmessageevenifblocked": None, "canmessage": None, "requirescontact": None,
        "contactrequests": [],
    }
    if privacy:
        member["canmessageevenifblocked"] = not user.deleted and canmessageifblocked
        member["canmessage"] = not user.deleted and state.can_send_message(site, user.id, reference)
        member["requirescontact"] = state.privacy(user.id) == PRIVACY_ONLYCONTACTS
    return member

"""The simulator's messages refuse as Moodle 5.1 does (message/classes/api.php can_send_message and
message/externallib.php send_instant_messages / get_member_info, read in Moodle's source)."""

from __future__ import annotations

import json

import pytest

from moodle_bridge.moodle._encoding import encode_call
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.messaging import (
    MESSAGEANYUSER,
    PRIVACY_COURSEMEMBER,
    PRIVACY_ONLYCONTACTS,
    PRIVACY_SITE,
    READALLMESSAGES,
    SENDMESSAGE,
    messaging,
)
from moodle_bridge.simulator.server import SimulatedMoodle

TOKEN = "simulated-token"
BRIDGE = 3
OLD_ROLE = frozenset({SENDMESSAGE})  # the role of the trial: moodle/site:sendmessage alone
SEND = "core_message_send_instant_messages"
INFO = "core_message_get_member_info"


@pytest.fixture
def sim():
    return SimulatedMoodle(generate("small"), token=TOKEN)


def call(sim, function, **arguments):
    status, _headers, body = sim.handle(encode_call(function, arguments, TOKEN))
    assert status == 200
    return json.loads(body)


def send(sim, *userids):
    return call(sim, SEND, messages=[{"touserid": u, "text": f"hello {u}", "textformat": 1, "clientmsgid": f"c{u}"}
                                     for u in userids])


def cadre(sim, *, preference=None) -> int:
    """Another cadre, without a preference of their own (Moodle's default applies) unless one is given."""
    state, picked = messaging(sim.site), sim.__dict__.setdefault("picked", set())
    for user in sorted(sim.site.users.values(), key=lambda u: u.id):
        if user.idnumber and user.id not in state.preferences and user.id not in picked and user.id != 315 \
                and not user.deleted and sim.site.user_courses(user.id):
            picked.add(user.id)
            if preference is not None:
                state.preferences[user.id] = preference
            return user.id
    raise AssertionError("no such cadre")


def refusal(sim, userid: int) -> str:
    return (f"You can't message {sim.site.users[userid].fullname} due to their message preferences. "
            "Try adding them as a contact.")


def test_the_readme_role_messages_every_cadre_whatever_their_preference(sim):
    contacts_only = next(u for u, p in messaging(sim.site).preferences.items() if p == PRIVACY_ONLYCONTACTS)
    answers = send(sim, cadre(sim), contacts_only)
    assert all(a["msgid"] > 0 and "errormessage" not in a for a in answers)
    assert len(sim.site.messages) == 2 and contacts_only in {m.touserid for m in sim.site.messages}


def test_without_messageanyuser_a_cadre_sharing_no_course_is_refused_as_moodle_words_it(sim):
    messaging(sim.site).capabilities[BRIDGE] = OLD_ROLE
    userid = cadre(sim)
    (answer,) = send(sim, userid)
    # Moodle's clean_returnvalue: declared key order, the VALUE_DEFAULT key filled in.
    assert answer == {"msgid": -1, "clientmsgid": f"c{userid}", "errormessage": refusal(sim, userid),
                      "candeletemessagesforallusers": False}
    assert list(answer) == ["msgid", "clientmsgid", "errormessage", "candeletemessagesforallusers"]
    assert not sim.site.messages


def test_a_refusal_beside_a_delivered_message_carries_the_decorations_moodle_adds(sim):
    state = messaging(sim.site)
    state.capabilities[BRIDGE] = OLD_ROLE
    refused, friend = cadre(sim), cadre(sim)
    state.add_contact(friend, BRIDGE)
    delivered, denied = send(sim, friend, refused)
    assert delivered["msgid"] > 0 and delivered["useridfrom"] == BRIDGE
    assert denied == {"msgid": -1, "clientmsgid": f"c{refused}", "errormessage": refusal(sim, refused), "text": "",
                      "conversationid": None, "useridfrom": BRIDGE, "candeletemessagesforallusers": False}


def test_an_unknown_or_deleted_recipient(sim):
    sim.site.delete_user(cadre(sim))
    gone = next(u.id for u in sim.site.users.values() if u.deleted)
    unknown, deleted = send(sim, 999999, gone)
    assert unknown["msgid"] == -1
    assert unknown["errormessage"] == "You can not send a message to a user id (999999) that doesn't exist"
    assert deleted["errormessage"] == f"You can not send a message to a user id ({gone}) that doesn't exist"


@pytest.mark.parametrize("preference, shared_course, contact, allowed", [
    (None, True, False, True),  # default "my contacts and anyone in my courses", a course in common
    (None, False, False, False),
    (None, False, True, True),
    (PRIVACY_ONLYCONTACTS, True, False, False),  # a shared course does not help
    (PRIVACY_ONLYCONTACTS, False, True, True),
    (PRIVACY_SITE, False, False, False),  # "anyone on the site" counts only with site-wide messaging on
])
def test_preferences_courses_and_contacts_without_messageanyuser(sim, preference, shared_course, contact, allowed):
    state = messaging(sim.site)
    state.capabilities[BRIDGE] = OLD_ROLE
    userid = cadre(sim, preference=preference)
    if shared_course:
        sim.site.enrol(sim.site.user_courses(userid)[0], BRIDGE)
    if contact:
        state.add_contact(BRIDGE, userid)
    (answer,) = send(sim, userid)
    assert (answer["msgid"] > 0) is allowed


def test_a_suspended_enrolment_shares_no_course(sim):
    messaging(sim.site).capabilities[BRIDGE] = OLD_ROLE
    userid = cadre(sim)
    course = sim.site.user_courses(userid)[0]
    sim.site.enrol(course, BRIDGE)
    sim.site.suspend_enrolment(course, BRIDGE)
    assert send(sim, userid)[0]["msgid"] == -1


def test_site_wide_messaging_reaches_only_cadres_who_kept_the_default(sim):
    state = messaging(sim.site)
    state.capabilities[BRIDGE], state.allusers = OLD_ROLE, True
    default, contacts_only, courses = cadre(sim), cadre(sim, preference=PRIVACY_ONLYCONTACTS), cadre(
        sim, preference=PRIVACY_COURSEMEMBER)
    answers = send(sim, default, contacts_only, courses)
    assert [a["msgid"] > 0 for a in answers] == [True, False, False]


def test_a_block_stops_everyone_but_messageanyuser_and_readallmessages(sim):
    state = messaging(sim.site)
    state.allusers = True
    userid = cadre(sim, preference=PRIVACY_SITE)
    state.block(userid, BRIDGE)
    assert send(sim, userid)[0]["msgid"] > 0  # the README role: moodle/site:messageanyuser comes first
    state.capabilities[BRIDGE] = OLD_ROLE
    assert send(sim, userid)[0]["msgid"] == -1
    state.capabilities[BRIDGE] = OLD_ROLE | {READALLMESSAGES}
    assert send(sim, userid)[0]["msgid"] > 0


def test_a_teacher_of_a_shared_course_messages_anyone_in_it(sim):
    """moodle/site:messageanyuser in a shared course lifts the refusal (its archetypes: teachers)."""
    state = messaging(sim.site)
    state.capabilities[BRIDGE] = OLD_ROLE
    userid = cadre(sim, preference=PRIVACY_ONLYCONTACTS)
    sim.site.enrol(sim.site.user_courses(userid)[0], BRIDGE, role="editingteacher")
    assert send(sim, userid)[0]["msgid"] > 0


def test_without_sendmessage_or_with_messaging_off_the_whole_call_fails(sim):
    state = messaging(sim.site)
    state.capabilities[BRIDGE] = frozenset({MESSAGEANYUSER})
    error = send(sim, cadre(sim))
    assert error["errorcode"] == "nopermissions"
    assert error["message"] == ("Sorry, but you do not currently have permissions to do that "
                                "(Send messages to any user).")
    state.capabilities.pop(BRIDGE)
    state.enabled = False
    userid = cadre(sim)
    for answer in (send(sim, userid), call(sim, INFO, referenceuserid=BRIDGE, userids=[userid])):
        assert answer["errorcode"] == "disabled" and answer["message"] == "Messaging is disabled on this site"


# --- core_message_get_member_info -----------------------------------------------------------------


def test_member_info_says_who_may_be_messaged_and_why_not(sim):
    state = messaging(sim.site)
    state.capabilities[BRIDGE] = OLD_ROLE
    default, contacts_only, friend = cadre(sim), cadre(sim, preference=PRIVACY_ONLYCONTACTS), cadre(sim)
    state.add_contact(friend, BRIDGE)
    members = call(sim, INFO, referenceuserid=BRIDGE, userids=[contacts_only, default, 999999, default, friend],
                   includeprivacyinfo=1)
    assert [m["id"] for m in members] == [contacts_only, default, friend]  # unknown left out, order kept, once each
    by_id = {m["id"]: m for m in members}
    assert (by_id[default]["canmessage"], by_id[default]["requirescontact"]) == (False, False)
    assert (by_id[contacts_only]["canmessage"], by_id[contacts_only]["requirescontact"]) == (False, True)
    assert by_id[friend]["canmessage"] is True and by_id[friend]["iscontact"] is True
    assert all(m["contactrequests"] == [] and m["isdeleted"] is False for m in members)

    state.capabilities.pop(BRIDGE)  # the README role
    assert all(m["canmessage"] for m in call(sim, INFO, referenceuserid=BRIDGE, userids=[default, contacts_only],
                                             includeprivacyinfo=1))


def test_member_info_without_privacy_info_leaves_canmessage_null(sim):
    (member,) = call(sim, INFO, referenceuserid=BRIDGE, userids=[cadre(sim)])
    assert member["canmessage"] is None and member["requirescontact"] is None
    assert member["canmessageevenifblocked"] is None


def test_a_deleted_member_is_kept_and_cannot_be_messaged(sim):
    userid = cadre(sim)
    sim.site.delete_user(userid)
    (member,) = call(sim, INFO, referenceuserid=BRIDGE, userids=[userid], includeprivacyinfo=1)
    assert member["isdeleted"] is True and member["canmessage"] is False and member["showonlinestatus"] is False


def test_only_the_caller_may_be_the_reference_user_without_readallmessages(sim):
    other = cadre(sim)
    error = call(sim, INFO, referenceuserid=other, userids=[BRIDGE])
    assert error["errorcode"] == "You do not have permission to perform this action."
    messaging(sim.site).capabilities[BRIDGE] = OLD_ROLE | {READALLMESSAGES}
    assert call(sim, INFO, referenceuserid=other, userids=[BRIDGE])[0]["id"] == BRIDGE

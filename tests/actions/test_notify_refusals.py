"""notify when Moodle refuses: each refusal logged with Moodle's reason, the run goes on, the summary
says how many and what to configure; once the role is fixed, the refused cadres get their message."""

from __future__ import annotations

import responses
import sqlalchemy as sa

from moodle_bridge.actions.notify import summary
from moodle_bridge.simulator.messaging import SENDMESSAGE, messaging
from moodle_bridge.store.schema import action_log
from tests.cli.test_rules import invoke, site_dir  # noqa: F401 - the fixture

BRIDGE = 3


def _log(path) -> list:
    engine = sa.create_engine(f"sqlite:///{path}/store.db")
    with engine.connect() as connection:
        rows = connection.execute(sa.select(action_log).where(action_log.c.action == "notify",
                                                              action_log.c.dry_run.is_(False))).fetchall()
    engine.dispose()
    return rows


def _flagged_users(path) -> list[int]:
    from moodle_bridge.store.schema import evaluation_flags, evaluation_results

    engine = sa.create_engine(f"sqlite:///{path}/store.db")
    with engine.connect() as connection:
        users = sorted(set(connection.execute(sa.select(evaluation_results.c.user_id).where(
            evaluation_results.c.cadre_id.in_(sa.select(evaluation_flags.c.cadre_id)))).scalars()))
    engine.dispose()
    return users


def test_refused_cadres_are_logged_with_moodles_reason_and_the_run_goes_on(site_dir):  # noqa: F811
    path, moodle, runner = site_dir
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    state = messaging(moodle.site)
    state.capabilities[BRIDGE] = frozenset({SENDMESSAGE})  # the trial's role
    # Two flagged cadres Moodle will let the integration user message: a contact, and one sharing a course.
    friend, classmate = [u for u in _flagged_users(path) if u not in state.preferences][:2]
    state.add_contact(friend, BRIDGE)
    moodle.site.enrol(moodle.site.user_courses(classmate)[0], BRIDGE)

    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        out = invoke(runner, "notify", "--apply")
    rows = _log(path)
    failed = [r for r in rows if r.status == "failed"]
    done = [r for r in rows if r.status == "done"]
    assert failed and done  # the refusals did not stop the others
    assert {friend, classmate} <= {r.user_id for r in done}  # (and the classmate's classmates)
    for row in failed:
        name = moodle.site.users[row.user_id].fullname
        assert row.detail["error"] == (f"You can't message {name} due to their message preferences. "
                                       "Try adding them as a contact.")
        assert row.detail["refused"] is True
    refused = len({r.cadre_id for r in failed})
    assert f"Moodle refused the messages to {refused} cadres" in out
    assert "moodle/site:messageanyuser" in out and "moodle-bridge doctor" in out
    assert len(moodle.site.messages) == len({r.user_id for r in done})

    # The administrator follows the README: the refused cadres get their message on the next run,
    # the ones already messaged do not get it twice.
    state.capabilities.pop(BRIDGE)
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        again = invoke(runner, "notify", "--apply")
    assert "refused" not in again
    assert {m.touserid for m in moodle.site.messages} == {r.user_id for r in rows}
    assert len(moodle.site.messages) == len({r.user_id for r in rows})


def test_a_role_without_sendmessage_fails_every_message_and_says_what_to_allow(site_dir):  # noqa: F811
    path, moodle, runner = site_dir
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    messaging(moodle.site).capabilities[BRIDGE] = frozenset()
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        out = invoke(runner, "notify", "--apply")
    rows = _log(path)
    assert rows and all(r.status == "failed" and r.detail["errorcode"] == "nopermissions" for r in rows)
    assert "Send messages to any user" in rows[0].detail["error"]
    assert "moodle/site:sendmessage" in out and not moodle.site.messages


def test_summary_lines():
    def outcome(cadre, status, **detail):
        return {"cadre_id": cadre, "status": status, "dry_run": False, "detail": detail}

    assert summary([outcome("A", "done", msgid=5)]) == []
    assert summary([{**outcome("A", "planned", text="x"), "dry_run": True}]) == []
    lines = summary([outcome("A", "failed", refused=True, error="You can't message A B due to their message "
                                                                  "preferences. Try adding them as a contact."),
                     outcome("A", "failed", refused=True, error="You can't message A B due to their message "
                                                                  "preferences. Try adding them as a contact."),
                     outcome("B", "failed", refused=True,
                             error="You can not send a message to a user id (9) that doesn't exist")])
    assert lines[0] == "Moodle refused the messages to 2 cadres; the action log holds its reason for each."
    assert "moodle/site:messageanyuser" in lines[1]
    only_gone = summary([outcome("B", "failed", refused=True,
                                 error="You can not send a message to a user id (9) that doesn't exist")])
    assert len(only_gone) == 1  # no role advice when the role is not the cause
    assert "Enable messaging system" in summary([outcome("A", "failed", error="...", errorcode="disabled")])[0]

"""doctor checks, before notify relies on it, that Moodle lets the integration user message cadres."""

from __future__ import annotations

import json

import pytest
import responses

from moodle_bridge.cli import main
from moodle_bridge.config import Settings
from moodle_bridge.doctor import messaging_verdict, run_doctor
from moodle_bridge.moodle import MoodleClient, RetryPolicy
from moodle_bridge.moodle.models import MemberInfo
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.messaging import PRIVACY_ONLYCONTACTS, SENDMESSAGE, messaging
from moodle_bridge.simulator.server import SimulatedMoodle
from moodle_bridge.store import connect, upgrade
from tests.cli.test_rules import invoke, site_dir  # noqa: F401 - the fixture

BRIDGE = 3
OLD_ROLE = frozenset({SENDMESSAGE})  # the trial's role: moodle/site:sendmessage alone
CHECK = "messages to cadres"
EVERY_FEATURE = {"grades": True, "activity_completions": True, "enrol": True, "notify": True, "profile_hours": True}


@pytest.fixture
def store(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    return engine


@pytest.fixture
def sim():
    return SimulatedMoodle(generate("small"))


def doctor(sim, store, **features):
    settings = Settings(moodle={"url": sim.siteurl, "completions_report_id": 3},
                        features={"notify": True, **features})
    client = MoodleClient(sim.siteurl, "simulated-token", retry=RetryPolicy(attempts=1), sleep=lambda s: None)
    with responses.RequestsMock() as mock:
        sim.mount(mock)
        return run_doctor(settings, client, store)


def check(report):
    return next(c for c in report.checks if c.name == CHECK)


def test_the_readme_set_up_passes_every_check(sim, store):
    """The README's role and service, every feature on: ready, and the messaging check is OK."""
    report = doctor(sim, store, **EVERY_FEATURE)
    assert report.ready, [(c.name, c.detail) for c in report.checks if c.status != "ok"]
    assert all(f.present for f in report.functions)
    assert "core_message_get_member_info" in {f.name for f in report.functions}
    assert check(report).status == "ok" and "may message all" in check(report).detail
    assert sim.requests_made("core_message_get_member_info") == 1  # one call for the whole sample


def test_the_trials_role_fails_and_says_why_and_what_to_configure(sim, store):
    messaging(sim.site).capabilities[BRIDGE] = OLD_ROLE
    report = doctor(sim, store)
    result = check(report)
    assert not report.ready and result.status == "fail"
    assert "may not message 10 of 10 sampled cadres" in result.detail
    assert "accept messages from their contacts only" in result.detail  # the sample holds one such cadre
    assert "share no course with the integration user" in result.detail
    assert "moodle/site:messageanyuser" in result.detail and "step 6" in result.detail


def test_site_wide_messaging_is_not_enough_for_cadres_who_chose_otherwise(sim, store):
    state = messaging(sim.site)
    state.capabilities[BRIDGE], state.allusers = OLD_ROLE, True
    result = check(doctor(sim, store))
    assert result.status == "fail" and "may not message 1 of 10" in result.detail
    assert "1 accept messages from their contacts only" in result.detail


def test_enrolling_the_integration_user_is_not_enough_either(sim, store):
    """Sharing every course reaches the default preference, not cadres accepting contacts only."""
    messaging(sim.site).capabilities[BRIDGE] = OLD_ROLE
    for courseid in sim.site.courses:
        sim.site.enrol(courseid, BRIDGE)
    result = check(doctor(sim, store))
    assert result.status == "fail" and "may not message 1 of 10" in result.detail


def test_without_the_function_in_the_service_it_warns_and_says_so(sim, store):
    sim.service = sim.service - {"core_message_get_member_info"}
    report = doctor(sim, store)
    (missing,) = [f for f in report.functions if not f.present]
    assert missing.name == "core_message_get_member_info" and missing.optional
    assert missing.needed_for == "checking beforehand that Moodle lets the integration user message cadres"
    assert report.ready and check(report).status == "warn" and "not checked" in check(report).detail


def test_messaging_switched_off_in_moodle_fails_with_where_to_turn_it_on(sim, store):
    messaging(sim.site).enabled = False
    result = check(doctor(sim, store))
    assert result.status == "fail" and "Enable messaging system" in result.detail


def test_not_checked_when_notify_is_off(sim, store):
    settings = Settings(moodle={"url": sim.siteurl, "completions_report_id": 3})
    client = MoodleClient(sim.siteurl, "simulated-token", retry=RetryPolicy(attempts=1), sleep=lambda s: None)
    with responses.RequestsMock() as mock:
        sim.mount(mock)
        report = run_doctor(settings, client, store)
    assert CHECK not in {c.name for c in report.checks}
    assert "core_message_get_member_info" not in {f.name for f in report.functions}
    assert sim.requests_made("core_message_get_member_info") == 0


def test_the_sample_comes_from_the_mirror_flagged_cadres_first(site_dir):  # noqa: F811
    """The CLI, after a sync and an evaluation: the cadres notify would message are the ones asked about."""
    import sqlalchemy as sa

    from moodle_bridge.store.schema import evaluation_flags, evaluation_results

    path, moodle, runner = site_dir
    (path / "moodle_bridge.toml").write_text((path / "moodle_bridge.toml").read_text() + "[features]\nnotify = true\n")
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    engine = sa.create_engine(f"sqlite:///{path}/store.db")
    with engine.connect() as connection:
        flagged = sorted(set(connection.execute(sa.select(evaluation_results.c.user_id).where(
            evaluation_results.c.cadre_id.in_(sa.select(evaluation_flags.c.cadre_id)))).scalars()))
    engine.dispose()
    assert len(flagged) > 20
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        ready = runner.invoke(main, ["doctor", "--json"])
    assert ready.exit_code == 0, ready.output
    result = next(c for c in json.loads(ready.output)["checks"] if c["name"] == CHECK)
    assert result["status"] == "ok" and "all 20 sampled cadres" in result["detail"]
    asked = next(c for c in moodle.calls if c.function == "core_message_get_member_info").arguments
    assert [int(u) for u in asked["userids"]] == flagged[:20]

    messaging(moodle.site).capabilities[BRIDGE] = OLD_ROLE  # the trial's role: flagged cadres refused
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        refused = runner.invoke(main, ["doctor"])
    assert refused.exit_code == 1 and "may not message" in refused.output and "20 sampled cadres" in refused.output


# --- the verdict, on Moodle's answers -----------------------------------------------------------


def member(userid, canmessage, requirescontact=False, isdeleted=False):
    return MemberInfo(id=userid, fullname=f"User {userid}", isdeleted=isdeleted, iscontact=False, isblocked=False,
                      canmessage=canmessage, requirescontact=requirescontact)


def test_verdict_counts_each_reason():
    status, detail = messaging_verdict([6, 7, 8, 9], [member(6, True), member(7, False, requirescontact=True),
                                                      member(8, False), member(9, False, isdeleted=True)])
    assert status == "fail"
    assert detail.startswith("the integration user may not message 2 of 4 sampled cadres (1 accept messages from "
                             "their contacts only; 1 accept messages from their contacts and people in their courses")
    assert "1 no longer exist in Moodle" in detail


def test_verdict_ok_and_only_gone_cadres_warn():
    assert messaging_verdict([6, 7], [member(6, True), member(7, True)])[0] == "ok"
    status, detail = messaging_verdict([6, 7], [member(6, True)])  # 7: not in Moodle's answer
    assert status == "warn" and "1 no longer exist in Moodle" in detail
    assert messaging_verdict([6], [member(6, None)])[0] == "fail"  # no privacy info: not proven


def test_the_sample_holds_a_cadre_accepting_contacts_only(sim):
    """The simulated site is like a real one: some cadres changed their preference."""
    preferences = messaging(sim.site).preferences
    assert PRIVACY_ONLYCONTACTS in preferences.values()

"""Actions back to Moodle: dry run first, --apply acts, what Moodle received, idempotent re-runs."""

from __future__ import annotations

from datetime import UTC

import responses

from moodle_bridge.cli import main
from tests.cli.test_rules import invoke, site_dir  # noqa: F401 - the fixture

REQUIRED_COURSE = "CT2026-PT26-001"


def _required_course_id(moodle) -> int:
    return next(c.id for c in moodle.site.courses.values() if c.idnumber == REQUIRED_COURSE)


def test_enrol_required_dry_run_then_apply_then_nothing(site_dir):  # noqa: F811
    _path, moodle, runner = site_dir
    course = _required_course_id(moodle)
    lacking = [u.id for u in moodle.site.users.values() if u.idnumber.startswith("CD26")
               and (course, u.id) not in moodle.site.enrolments and not u.suspended][:1]
    suspended = next(u for (c, u), e in moodle.site.enrolments.items() if c == course and e.role == "student")
    moodle.site.suspend_enrolment(course, suspended)
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        invoke(runner, "sync")
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")

    dry = invoke(runner, "enrol-required")
    assert "planned (dry run)" in dry and "skipped" in dry and "Dry run: nothing was sent" in dry
    assert moodle.requests_made("enrol_manual_enrol_users") == 0

    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        applied = invoke(runner, "enrol-required", "--apply")
    assert "done" in applied and "unconfirmed" not in applied
    assert moodle.requests_made("enrol_manual_enrol_users") >= 1
    assert lacking and all((course, u) in moodle.site.enrolments for u in lacking)
    assert moodle.site.enrolments[(course, suspended)].status == 1  # a suspended enrolment is left alone

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        moodle.mount(mock)
        before = moodle.requests_made("enrol_manual_enrol_users")
        again = invoke(runner, "enrol-required", "--apply")
    assert moodle.requests_made("enrol_manual_enrol_users") == before  # idempotent: nothing to do twice
    assert "skipped" in again and "done" not in again and "planned" not in again


def test_an_enrolment_moodle_does_not_show_is_unconfirmed(site_dir, monkeypatch):  # noqa: F811
    from moodle_bridge.simulator import functions

    _path, moodle, runner = site_dir
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    monkeypatch.setitem(functions.HANDLERS, "enrol_manual_enrol_users", lambda ctx, args: None)  # accepted, not done
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        out = invoke(runner, "enrol-required", "--apply")
    assert "unconfirmed" in out and "done" not in out.replace("unconfirmed", "")


def test_notify_dry_run_then_apply_never_twice_within_the_interval(site_dir):  # noqa: F811
    _path, moodle, runner = site_dir
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    dry = invoke(runner, "notify")
    assert "planned (dry run)" in dry and not moodle.site.messages
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        invoke(runner, "notify", "--apply")
    sent = list(moodle.site.messages)
    assert sent and all("<script" not in m.text for m in sent)
    assert "your training record shows" in sent[0].text
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        moodle.mount(mock)
        again = invoke(runner, "notify", "--apply")
    assert len(moodle.site.messages) == len(sent) and "(0 cadres)" in again


def test_profile_hours_confirmed_by_reading_back_and_unconfirmed_for_a_missing_field(site_dir):  # noqa: F811
    _path, moodle, runner = site_dir
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    moodle.site.profile_field_names["credited_hours"] = "Credited hours"  # the site has this field
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        done = invoke(runner, "profile-hours", "--apply")
        missing = invoke(runner, "profile-hours", "--apply", "--field", "no_such_field")
    assert "done" in done and "unconfirmed" not in done
    assert "unconfirmed" in missing and "done" not in missing.replace("unconfirmed", "")
    written = [u.profile.get("credited_hours") for u in moodle.site.users.values() if u.profile.get("credited_hours")]
    assert written  # Moodle has the values


def test_the_demo_writes_reports_and_a_dry_run_of_the_actions(tmp_path, monkeypatch):
    import json as _json

    from click.testing import CliRunner

    from moodle_bridge.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "demo-output"
    for name in ("units.html", "units.csv", "units.xlsx", "flagged.html", "flagged.csv", "flagged.xlsx",
                 "actions-dry-run.json", "moodle_bridge.toml", "rules.yaml", "offline_training.csv"):
        assert (out / name).exists(), name
    actions = _json.loads((out / "actions-dry-run.json").read_text())
    assert actions["notify_total"] > 0 and all(a["status"] in ("planned", "skipped") for a in actions["enrol_required"])
    assert "token" not in (out / "moodle_bridge.toml").read_text().split("token_file")[0]  # no token in the config


def test_messages_queued_on_the_review_page_are_sent_by_notify(site_dir):  # noqa: F811
    from datetime import datetime

    import sqlalchemy as sa

    from moodle_bridge.store.schema import message_queue

    path, moodle, runner = site_dir
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    engine = sa.create_engine(f"sqlite:///{path}/store.db")
    with engine.begin() as c:
        c.execute(sa.insert(message_queue).values(cadre_id="CD260001", user_id=6, text="Please see me about the course",
                                                  queued_by="wang", queued_at=datetime.now(UTC)))
    with responses.RequestsMock() as mock:
        moodle.mount(mock)
        invoke(runner, "notify", "--apply")
    assert any(m.text == "<p>Please see me about the course</p>" and m.touserid == 6 for m in moodle.site.messages)
    with engine.connect() as c:
        assert c.execute(sa.select(message_queue.c.sent_at)).scalar() is not None  # sent once, marked
    engine.dispose()


def test_acting_waits_for_a_running_pipeline_and_a_dry_run_does_not(site_dir):  # noqa: F811
    """--apply takes the scheduled pipeline's lock: a manual run beside a scheduled one sends nothing twice."""
    from moodle_bridge.store import connect
    from moodle_bridge.store.lock import StoreLock

    path, moodle, runner = site_dir
    invoke(runner, "evaluate", "--period", "2026", "--as-of", "2026-11-21")
    with StoreLock(connect(f"sqlite:///{path}/store.db")):  # a scheduled run is going on
        assert "planned (dry run)" in invoke(runner, "notify")
        for command in ("notify", "enrol-required", "profile-hours"):
            refused = runner.invoke(main, [command, "--apply"])
            assert refused.exit_code == 1 and "Another run is using the store" in refused.output, command
    assert not moodle.site.messages and moodle.requests_made("enrol_manual_enrol_users") == 0
    with responses.RequestsMock() as mock:  # once it has finished, the same command goes through
        moodle.mount(mock)
        invoke(runner, "notify", "--apply")
    assert moodle.site.messages

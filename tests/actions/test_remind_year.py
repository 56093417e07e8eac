"""Reminders over a simulated year, against the simulator: each reminder goes out exactly once, on its day, with the
right content, and none once the requirement is met; a due day that moves gives the new day's reminders."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import responses
import sqlalchemy as sa
from click.testing import CliRunner

from moodle_bridge.cli import main
from moodle_bridge.config import load_settings
from moodle_bridge.services.pipeline import evaluate_rules
from moodle_bridge.services.reminders import remind
from moodle_bridge.services.rules_file import load_rules_to_evaluate
from moodle_bridge.services.wiring import make_client
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle
from moodle_bridge.store import connect
from moodle_bridge.store.schema import action_log, evaluations, mirror_users, reminders_sent

ROOT = Path(__file__).resolve().parents[2]
ZONE = ZoneInfo("Asia/Shanghai")
COURSE = "CT2026-PT26-001"
RULES = """\
organisation: {timezone: Asia/Shanghai, period_start: "01-01"}
cadres: {cadre_id_field: cadre_id, unit: {source: cohort}, rank_field: rank, category_field: category}
groups:
  everyone:
    label: {en: Every cadre, zh_CN: 全体干部}
    select: {}
    requirements:
      - kind: required_courses
        courses: [{idnumber: CT2026-PT26-001}]
        due: "DUE"
reminders:
  default: {before: [30, 7], on_day: true, after: [7]}
  pace: never
  catch_up_days: 3
  language: en
"""


def _at(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 10, tzinfo=ZONE).timestamp())


@pytest.fixture
def year(tmp_path, monkeypatch):
    site = generate("tiny")
    course = next(c.id for c in site.courses.values() if c.idnumber == COURSE)
    for (course_id, user_id) in list(site.progress):  # nobody has done the required course yet
        if course_id == course:
            site.reset_completion(course, user_id)
    moodle = SimulatedMoodle(site)
    (tmp_path / "rules.yaml").write_text(RULES.replace("DUE", "2026-06-30"), encoding="utf-8")
    (tmp_path / "moodle_bridge.toml").write_text(
        f'[moodle]\nurl = "{moodle.siteurl}"\ncompletions_report_id = 3\n'
        f'[store]\nurl = "sqlite:///{tmp_path}/store.db"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MOODLE_BRIDGE_MOODLE__TOKEN", "simulated-token")
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    _sync(moodle, runner)
    return tmp_path, moodle, runner, course


def _sync(moodle, runner) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        moodle.mount(mock)
        result = runner.invoke(main, ["sync", "--full"])  # completions dated in the simulated year, not the clock's
    assert result.exit_code == 0, result.output


def test_a_year_of_reminders_each_once_on_its_day_and_none_once_met(year):
    path, moodle, runner, course = year
    settings = load_settings()
    engine = connect(settings.store.url)
    cadres = {u.id: u for u in moodle.site.users.values() if u.profile.get("cadre_id") and not u.suspended}
    early, late, *_rest = sorted(cadres)  # one completes in June, one in September
    sent: dict[int, list[date]] = {}  # user id -> the days a reminder reached them
    day = date(2026, 1, 1)
    with make_client(settings) as client:
        while day <= date(2026, 12, 31):
            if day == date(2026, 6, 10):  # between the 30-day and the 7-day reminder
                moodle.site.enrol(course, early)
                moodle.site.complete(course, early, _at(day))
                _sync(moodle, runner)
            if day == date(2026, 8, 1):  # the due day moves to 30 September
                (path / "rules.yaml").write_text(RULES.replace("DUE", "2026-09-30"), encoding="utf-8")
            if day == date(2026, 9, 26):  # between the new 7-day reminder and the due day
                moodle.site.enrol(course, late)
                moodle.site.complete(course, late, _at(day))
                _sync(moodle, runner)
            evaluate_rules(settings, engine, today=day)  # the scheduler's pipeline: evaluate, then remind
            before = len(moodle.site.messages)
            with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
                moodle.mount(mock)
                planned, outcomes = remind(settings, engine, client, day, dry_run=False)
            assert all(o["status"] == "done" for o in outcomes)
            assert len(moodle.site.messages) - before == len(planned.messages)  # one message a cadre
            for message in moodle.site.messages[before:]:
                sent.setdefault(message.touserid, []).append(day)
                _check_text(message.text, day, cadres[message.touserid], moodle.site.courses[course].fullname)
            day += timedelta(days=1)

    june = [date(2026, 5, 31), date(2026, 6, 23), date(2026, 6, 30), date(2026, 7, 7)]
    september = [date(2026, 8, 31), date(2026, 9, 23), date(2026, 9, 30), date(2026, 10, 7)]
    assert sent[early] == [date(2026, 5, 31)]  # done on 10 June: nothing after, nor for the moved due day
    assert sent[late] == june + september[:2]  # done on 26 September: nothing after
    others = set(cadres) - {early, late}
    assert others and all(sent[u] == june + september for u in others)  # every reminder, once, on its day
    with engine.connect() as connection:
        logged = connection.execute(sa.select(action_log).where(action_log.c.action == "remind")).fetchall()
        kept = connection.execute(sa.select(reminders_sent)).fetchall()
    assert len(logged) == len(kept) == sum(len(days) for days in sent.values())  # every send logged, kept once
    assert {r.offset_days for r in kept} == {-30, -7, 0, 7}
    engine.dispose()


def _check_text(text: str, day: date, user, course: str) -> None:
    """Whom it greets, what is missing (the course), by when (the due day: the organisation's days), what counts (the
    course itself, open in Moodle)."""
    name = html.escape(f"{user.firstname} {user.lastname}", quote=False)  # Moodle's data stays text
    assert f"<p>Dear {name}, a reminder about your training:</p>" in text
    assert text.count("<li>") == 1 and "<li><b>required courses</b>: " in text
    assert f"Still to do: complete “{course}”" in text
    due = "30 June 2026" if day < date(2026, 8, 1) else "30 September 2026"
    if day in (date(2026, 6, 30), date(2026, 9, 30)):
        assert f"due today, {due}" in text
    elif day in (date(2026, 7, 7), date(2026, 10, 7)):
        assert f"was due by {due}, 7 days ago" in text
    else:
        days = {5: 30, 6: 7, 8: 30, 9: 7}[day.month]
        assert f"due by {due}, in {days} days" in text
    assert re.search(rf"Open courses that count: “{re.escape(course)}” \(\d+ hours\)</li>", text)


def test_remind_is_a_dry_run_unless_applied_and_says_the_language(year, monkeypatch):
    _path, moodle, runner, _course = year
    today = date(2026, 5, 31)
    monkeypatch.setattr("moodle_bridge.cli.remind._today", lambda _zone: today)
    assert runner.invoke(main, ["evaluate", "--as-of", "2026-05-31"]).exit_code == 0
    dry = runner.invoke(main, ["remind", "--as-of", "2026-05-31"])
    assert dry.exit_code == 0, dry.output
    assert "planned (dry run)" in dry.output and "before the due day" in dry.output and not moodle.site.messages
    assert "Written in the cadre's own language in Moodle: English: " in dry.output  # the simulated cadres': en
    assert "the organisation's default" not in dry.output  # no cadre without a language moodle_bridge speaks
    assert "Dry run: nothing was sent" in dry.output
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        moodle.mount(mock)
        applied = runner.invoke(main, ["remind", "--apply", "--as-of", "2026-05-31"])
        sent = len(moodle.site.messages)
        today = date(2026, 6, 1)
        again = runner.invoke(main, ["remind", "--apply", "--as-of", "2026-06-01"])  # within the catch-up days
    assert applied.exit_code == 0 and "done" in applied.output and sent
    assert again.exit_code == 0 and len(moodle.site.messages) == sent  # sent once: not again the next day


def test_a_cadre_whose_moodle_language_is_zh_cn_is_reminded_in_chinese(year):
    """The mirror keeps each user's Moodle language; a reminder is written in it where moodle_bridge speaks it
    (zh_cn is Simplified Chinese), else in the default (reminders.language, here English)."""
    _path, moodle, runner, _course = year
    cadres = sorted(u.id for u in moodle.site.users.values() if u.profile.get("cadre_id") and not u.suspended)
    chinese, other, unknown = cadres[:3]
    moodle.site.users[chinese].lang = "zh_cn"
    moodle.site.users[unknown].lang = "fr"  # a language moodle_bridge does not speak: the default
    _sync(moodle, runner)
    settings = load_settings()
    engine = connect(settings.store.url)
    with engine.connect() as connection:
        langs = dict(connection.execute(sa.select(mirror_users.c.id, mirror_users.c.lang)).fetchall())
    assert (langs[chinese], langs[other], langs[unknown]) == ("zh_cn", "en", "fr")  # as Moodle answered
    evaluate_rules(settings, engine, today=date(2026, 5, 31))
    planned, outcomes = remind(settings, engine, None, date(2026, 5, 31), dry_run=True)
    by_user = {m.user_id: m for m in planned.messages}
    assert (by_user[chinese].language, by_user[chinese].language_source) == ("zh_CN", "moodle")
    assert (by_user[other].language, by_user[other].language_source) == ("en", "moodle")
    assert (by_user[unknown].language, by_user[unknown].language_source) == ("en", "default")
    assert "2026 年 6 月 30 日" in by_user[chinese].text and "30 June 2026" not in by_user[chinese].text
    assert "30 June 2026" in by_user[other].text and "30 June 2026" in by_user[unknown].text
    logged = {o["user_id"]: o["detail"] for o in outcomes}
    assert (logged[chinese]["language"], logged[chinese]["language_source"]) == ("zh_CN", "moodle")
    dry = runner.invoke(main, ["remind", "--as-of", "2026-05-31"])
    assert dry.exit_code == 0, dry.output
    assert "Written in the cadre's own language in Moodle: English: " in dry.output
    assert "Simplified Chinese: 1." in dry.output
    assert re.search(r"not one moodle_bridge speaks: 1\.", dry.output.replace("\n", " ")), dry.output
    engine.dispose()


def test_apply_refuses_another_day_than_today(year, monkeypatch):
    """--as-of with --apply would send another day's reminders now and keep them as sent, so they would not go on
    their own day: refused in one line, nothing sent or kept."""
    _path, moodle, runner, _course = year
    monkeypatch.setattr("moodle_bridge.cli.remind._today", lambda _zone: date(2026, 6, 2))
    assert runner.invoke(main, ["evaluate", "--as-of", "2026-05-31"]).exit_code == 0
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        moodle.mount(mock)
        refused = runner.invoke(main, ["remind", "--apply", "--as-of", "2026-05-31"])
    assert refused.exit_code == 2
    (line,) = refused.output.strip().splitlines()
    assert "--apply sends today's reminders only: 2026-05-31 is not today (2026-06-02" in line, line
    assert not moodle.site.messages
    engine = connect(load_settings().store.url)
    with engine.connect() as connection:
        assert not connection.execute(sa.select(reminders_sent)).fetchall()
        assert not connection.execute(sa.select(action_log).where(action_log.c.action == "remind")).fetchall()
    engine.dispose()
    assert runner.invoke(main, ["remind", "--as-of", "2026-05-31"]).exit_code == 0  # a dry run of any day


def _send(moodle, engine, settings, day: date, **options):
    from moodle_bridge.actions import remind as actions

    rules = load_rules_to_evaluate(settings).rules
    planned = actions.plan(engine, day, rules.reminders, settings.language)
    with make_client(settings) as client, responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        moodle.mount(mock)
        return planned, actions.apply(engine, client, planned, dry_run=False, batch=1, pause=0,
                                      sleep=lambda _s: None, **options)


def _kept(engine) -> set[str]:
    with engine.connect() as connection:
        return {r.cadre_id for r in connection.execute(sa.select(reminders_sent))}


def test_each_batch_is_kept_before_the_next_so_a_failure_part_way_resends_nothing_moodle_accepted(year, monkeypatch):
    """Moodle accepts the first batch, then the store cannot keep the second's (a locked database, a kill): the
    first is kept, and the next run sends the others, not the first again."""
    from moodle_bridge.actions import remind as actions

    _path, moodle, _runner, _course = year
    settings = load_settings()
    engine = connect(settings.store.url)
    day = date(2026, 5, 31)
    evaluate_rules(settings, engine, today=day)
    record, calls = actions._record, []

    def failing(engine, rows, accepted):
        calls.append(rows)
        if len(calls) == 2:
            raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))
        record(engine, rows, accepted)

    monkeypatch.setattr(actions, "_record", failing)
    with pytest.raises(sa.exc.OperationalError):
        planned, _outcomes = _send(moodle, engine, settings, day)
    monkeypatch.setattr(actions, "_record", record)
    first = {m.touserid for m in moodle.site.messages}
    assert len(moodle.site.messages) == 2  # the second batch went before its write failed
    kept = _kept(engine)
    assert len(kept) == 1  # the first batch's, kept before the second was sent
    planned, outcomes = _send(moodle, engine, settings, day)  # the next run
    assert kept.isdisjoint({m.cadre_id for m in planned.messages})  # the first is not sent again
    assert len(planned.messages) >= 2 and all(o["status"] == "done" for o in outcomes)
    resent = [m.touserid for m in moodle.site.messages[2:]]
    assert len(set(resent) & first) == 1  # only the batch whose write failed goes again
    engine.dispose()


def test_a_stop_between_batches_keeps_what_went_and_leaves_the_rest_for_the_next_run(year):
    _path, moodle, _runner, _course = year
    settings = load_settings()
    engine = connect(settings.store.url)
    day = date(2026, 5, 31)
    evaluate_rules(settings, engine, today=day)
    planned, outcomes = _send(moodle, engine, settings, day, should_stop=lambda: True)  # asked after the first batch
    assert len(planned.messages) > 1 and len(outcomes) == 1 and len(moodle.site.messages) == 1
    assert _kept(engine) == {outcomes[0]["cadre_id"]}
    rest, outcomes = _send(moodle, engine, settings, day)
    assert len(rest.messages) == len(planned.messages) - 1 and len(outcomes) == len(rest.messages)
    assert len({m.touserid for m in moodle.site.messages}) == len(moodle.site.messages)  # none twice
    engine.dispose()


def test_the_reminder_after_a_period_end_due_day_goes_out_in_the_new_period(year):
    """Due on 31 December: on 1 January the pipeline evaluates the new year, and the reminder 7 days after still
    goes out on 7 January (read from the year gone's last evaluation), once."""
    path, moodle, _runner, _course = year
    (path / "rules.yaml").write_text(RULES.replace("DUE", "2026-12-31"), encoding="utf-8")
    settings = load_settings()
    engine = connect(settings.store.url)
    sent: dict[date, int] = {}
    for day in [date(2026, 12, 31)] + [date(2027, 1, n) for n in range(1, 12)]:
        evaluate_rules(settings, engine, today=day)
        before = len(moodle.site.messages)
        with make_client(settings) as client, responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            moodle.mount(mock)
            _planned, outcomes = remind(settings, engine, client, day, dry_run=False)
        assert all(o["status"] == "done" for o in outcomes)
        if len(moodle.site.messages) > before:
            sent[day] = len(moodle.site.messages) - before
            if day == date(2027, 1, 7):
                assert all("was due by 31 December 2026, 7 days ago" in m.text
                           for m in moodle.site.messages[before:])
    assert set(sent) == {date(2026, 12, 31), date(2027, 1, 7)} and sent[date(2027, 1, 7)] == sent[date(2026, 12, 31)]
    with engine.connect() as connection:
        periods = {r.period for r in connection.execute(sa.select(evaluations.c.period))}
        kept = {r.offset_days for r in connection.execute(sa.select(reminders_sent))}
    assert periods == {"2026", "2027"} and kept == {0, 7}
    engine.dispose()


def test_a_requirement_added_above_leaves_the_other_s_reminders_as_they_were(year):
    """The key names the requirement by its kind and what it asks, not its place: a requirement inserted above one
    with the same due day neither silences the new one's reminder nor repeats the old one's."""
    path, moodle, _runner, _course = year
    settings = load_settings()
    engine = connect(settings.store.url)
    other = next(c for c in moodle.site.courses.values() if c.idnumber and c.idnumber != COURSE)
    for (course_id, user_id) in list(moodle.site.progress):  # nobody has done the course added either
        if course_id == other.id:
            moodle.site.reset_completion(other.id, user_id)
    _sync(moodle, _runner)
    evaluate_rules(settings, engine, today=date(2026, 5, 31))
    _planned, first = _send(moodle, engine, settings, date(2026, 5, 31))
    assert first and {o["detail"]["requirement"] for o in first} == {"groups.everyone.requirements[0]"}
    above = RULES.replace("    requirements:\n", "    requirements:\n      - kind: required_courses\n"
                          f"        courses: [{{idnumber: {other.idnumber}}}]\n        due: \"DUE\"\n")
    (path / "rules.yaml").write_text(above.replace("DUE", "2026-06-30"), encoding="utf-8")
    evaluate_rules(settings, engine, today=date(2026, 6, 1))
    planned, outcomes = _send(moodle, engine, settings, date(2026, 6, 1))  # within the catch-up days
    assert planned.messages
    assert {o["detail"]["requirement"] for o in outcomes} == {"groups.everyone.requirements[0]"}  # the new one only
    added, kept = (html.escape(moodle.site.courses[c].fullname, quote=False) for c in (other.id, _course))
    assert all(added in m.text and kept not in m.text for m in planned.messages)
    engine.dispose()

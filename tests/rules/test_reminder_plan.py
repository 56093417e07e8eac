"""The reminders' planner (pure) and the rules file's `reminders:` section."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moodle_bridge.rules.loader import RulesError, parse_rules
from moodle_bridge.rules.reminder_plan import OpenRequirement, due_reminders, milestones, requirement_id
from moodle_bridge.rules.reminders import Reminders, Schedule

SMALL = (Path(__file__).parent / "small_rules.yaml").read_text(encoding="utf-8")
DEFAULT = Reminders()


def course(due: date = date(2026, 6, 30), cadre: str = "A", kind: str = "required_courses") -> OpenRequirement:
    return OpenRequirement(cadre, 1, "Li", "groups.g.requirements[0]", kind, "g", due, missing_courses=("X",))


def hours(behind: bool = True) -> OpenRequirement:
    return OpenRequirement("A", 1, "Li", "groups.g.requirements[1]", "min_hours", "g", date(2026, 12, 31),
                           missing_hours=20.0, behind_pace=behind, start=date(2026, 1, 1))


def run(requirement_on: dict[date, list[OpenRequirement]] | list[OpenRequirement], schedule: Reminders = DEFAULT,
        first: date = date(2026, 1, 1), last: date = date(2027, 3, 31)) -> dict[date, list[tuple[str, int]]]:
    """Every day from ``first`` to ``last``: the reminders due, each then counted as sent."""
    sent: set = set()
    found: dict[date, list[tuple[str, int]]] = {}
    day = first
    while day <= last:
        open_now = requirement_on.get(day, []) if isinstance(requirement_on, dict) else requirement_on
        for reminder in due_reminders(day, open_now, schedule, sent):
            found.setdefault(day, []).append((reminder.reason, reminder.offset))
            sent.add(reminder.key)
        day += timedelta(days=1)
    return found


def test_the_default_schedule_30_and_7_days_before_on_the_day_7_after():
    assert run([course()]) == {date(2026, 5, 31): [("before", -30)], date(2026, 6, 23): [("before", -7)],
                               date(2026, 6, 30): [("due", 0)], date(2026, 7, 7): [("after", 7)]}


def test_a_kind_s_own_schedule_and_quarterly_milestones_for_hours_behind_pace():
    schedule = Reminders(kinds={"min_hours": Schedule(before=[14], on_day=False, after=[])})
    assert run([hours()], schedule) == {date(2026, 4, 1): [("pace", -274)], date(2026, 7, 1): [("pace", -183)],
                                        date(2026, 10, 1): [("pace", -91)], date(2026, 12, 17): [("before", -14)]}
    assert date(2026, 4, 1) not in run([hours(behind=False)], schedule)  # on pace: no milestone
    assert milestones(date(2026, 1, 1), date(2026, 12, 31), 6) == [date(2026, 7, 1)]


def test_a_missed_day_is_caught_up_once_and_only_the_latest():
    seen = {date(2026, 6, 25) + timedelta(days=n): [course()] for n in range(60)}  # no run before 25 June
    assert run(seen) == {date(2026, 6, 25): [("before", -7)], date(2026, 6, 30): [("due", 0)],
                         date(2026, 7, 7): [("after", 7)]}
    late = {date(2026, 6, 27) + timedelta(days=n): [course()] for n in range(60)}  # 4 days late: not caught up
    assert date(2026, 6, 27) not in run(late)


def test_a_moved_due_day_gives_the_new_day_s_reminders():
    before = {date(2026, 5, 1) + timedelta(days=n): [course()] for n in range(40)}  # until 9 June
    after = {date(2026, 6, 10) + timedelta(days=n): [course(date(2026, 9, 30))] for n in range(200)}
    found = run({**before, **after})
    assert found == {date(2026, 5, 31): [("before", -30)], date(2026, 8, 31): [("before", -30)],
                     date(2026, 9, 23): [("before", -7)], date(2026, 9, 30): [("due", 0)],
                     date(2026, 10, 7): [("after", 7)]}


days = st.dates(date(2026, 1, 1), date(2026, 12, 31))
offsets = st.lists(st.integers(1, 60), max_size=4, unique=True)


@settings(max_examples=60, deadline=None)
@given(due=days, before=offsets, after=offsets, on_day=st.booleans(), catch_up=st.integers(0, 5),
       met=st.one_of(st.none(), days), runs=st.sets(days, min_size=1))
def test_each_reminder_once_on_or_after_its_day_and_none_once_met(due, before, after, on_day, catch_up, met, runs):
    schedule = Reminders(default=Schedule(before=before, on_day=on_day, after=after), catch_up_days=catch_up)
    requirement = course(due)
    sent: set = set()
    for day in sorted(runs):  # the days a run happened
        open_now = [] if met is not None and day >= met else [requirement]
        for reminder in due_reminders(day, open_now, schedule, sent):
            assert reminder.key not in sent  # once
            assert reminder.day <= day <= reminder.day + timedelta(days=catch_up)  # on its day, or caught up
            assert reminder.offset in schedule.default.offsets()
            assert met is None or day < met  # none once met
            sent.add(reminder.key)
    if met is None and set(runs) >= {due + timedelta(days=o) for o in schedule.default.offsets()}:
        assert len(sent) == len(schedule.default.offsets())  # a run every reminder day: every reminder, once


def problems(section: str) -> list[str]:
    with pytest.raises(RulesError) as caught:
        parse_rules(SMALL + section, "rules.yaml")
    return caught.value.problems


def test_the_section_defaults_and_rules_check_words_a_bad_value_in_one_line():
    assert parse_rules(SMALL).rules.reminders == DEFAULT
    for section, expected in [
        ("reminders:\n  default: {before: [30, 0]}\n", "reminders.default.before: 0 is not a number of days from 1"),
        ("reminders:\n  default: {after: [7, 7]}\n", "reminders.default.after: [7, 7] names a day twice"),
        ("reminders:\n  kinds: {min_hour: {before: [7]}}\n", "reminders.kinds: min_hour: not a requirement kind"),
        ("reminders:\n  pace: weekly\n", "reminders.pace: Input should be"),
        ("reminders:\n  language: fr\n", "reminders.language: 'fr' is not a language moodle_bridge speaks"),
    ]:
        (line,) = problems(section)
        assert expected in line and "\n" not in line, line


def test_editing_the_schedule_judges_no_one_again():
    from moodle_bridge.services.evaluation import context_fingerprint

    plain = parse_rules(SMALL).rules
    edited = parse_rules(SMALL + "reminders:\n  default: {before: [14]}\n  pace: monthly\n").rules
    assert context_fingerprint(plain, {}, [], set(), None) == context_fingerprint(edited, {}, [], set(), None)


def test_a_requirement_s_id_is_what_it_asks_not_where_it_stands():
    """The reminders' key names a requirement by its kind and a hash of what it asks (its due day aside): the same in
    any place and group, another for other courses or hours."""
    plain = parse_rules(SMALL).rules
    added = parse_rules(SMALL.replace("    requirements:\n", "    requirements:\n      - {kind: min_hours, hours: 7}\n",
                                      1)).rules
    before = [requirement_id(r) for g in plain.groups.values() for r in g.requirements]
    after = [requirement_id(r) for g in added.groups.values() for r in g.requirements]
    assert before and set(before) < set(after) and len(after) == len(before) + 1
    assert all(i.split(":")[0] in {"min_hours", "min_online_hours", "required_courses", "required_reading", "window",
                                   "makeup"} for i in after)
    hours = next(r for g in plain.groups.values() for r in g.requirements if r.kind == "min_hours")
    assert requirement_id(hours.model_copy(update={"hours": hours.hours + 1})) != requirement_id(hours)
    courses = next(r for g in plain.groups.values() for r in g.requirements if r.kind == "required_courses")
    assert requirement_id(courses.model_copy(update={"due": date(2030, 1, 1)})) == requirement_id(courses)

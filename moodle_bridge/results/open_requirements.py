"""Each cadre's requirements not met, with their due days, what is missing and the open courses that count: what
reminders (``actions/remind.py``) are about.

Read from the latest evaluation (whatever its period) and the rules that judged it, as ``standing.py`` reads a
cadre's standing:

- **a course list** (required courses, required reading) due within ``reach`` of the day: the courses the cadre has
  not completed and passed, from the mirror as it is now (a course done since the evaluation is done: no reminder
  of it); done after the due day counts as done (nothing is left to complete). Those open in Moodle on the day
  count;
- **hours in the period** (all, or online): the hours short of the cadre's (pro-rated) minimum, while the period
  lasts and for the reminders' reach after it; behind pace when the evaluation flagged it, with the open courses its
  flag named (none once the period is over);
- **any other kind** (a multi-year window, a make-up) by its flag alone: its due day, the hours short and the open
  courses its evidence gives.

A period gone by within the reach after its due days is read from its own latest evaluation (course lists and
hours), so that the reminders after a period-end due day go out once the next period is evaluated. Each requirement
is named by its stable id (``rules.reminder_plan.requirement_id``), its place in the rules file kept as ``path``.

A cadre exempt or suspended is reminded of nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from ..rules.credits import selects
from ..rules.facts import CompletionFact, CourseFacts, OpenCourse
from ..rules.kinds import BY_FLAG, unit_for
from ..rules.kinds.base import last_day, stored_day
from ..rules.kinds.min_hours import MinHours
from ..rules.kinds.min_online_hours import MinOnlineHours
from ..rules.kinds.required_courses import COMPLETED_LATE, CourseList, courses_met
from ..rules.model import Organisation, Rules
from ..rules.periods import day_start, period
from ..rules.reminder_plan import OpenCourse as CountingCourse
from ..rules.reminder_plan import OpenRequirement, requirement_id
from ..store.evaluation_io import load_completions, load_courses, load_open_courses
from ..store.held import held_in
from ..store.schema import evaluation_flags
from .answers import CadreResult, Evaluation, Flag
from .by_flag import results_by_cadre
from .evaluations import evaluation
from .judged_rules import judged_rules
from .standing import passed_courses

_PATH = re.compile(r"groups\.(.+)\.requirements\[(\d+)\]")
_SHORT = 0.005  # hours: less is met (as the remedies round them)
_NOT_ASKED = ("exempt", "suspended")


@dataclass(frozen=True)
class OpenRequirements:
    """The latest evaluation, the organisation's (its rules'), and every requirement not met."""

    evaluation: Evaluation | None
    organisation: Organisation
    requirements: list[OpenRequirement]


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _options(evidence: Mapping[str, Any]) -> tuple[CountingCourse, ...]:
    return tuple(CountingCourse(str(c.get("name", "")), _number(c.get("hours")))
                 for c in evidence.get("open_courses", []) if isinstance(c, Mapping))


def _share(rules: Rules, result: CadreResult) -> float:
    """The share of the period the cadre owes: the evaluation kept the highest minimum of their groups, pro-rated."""
    top = max((m for g in result.groups if g in rules.groups for r in rules.groups[g].requirements
               if (m := unit_for(r.kind).period_minimum(r)) is not None), default=0.0)
    return result.required_hours / top if top and result.required_hours is not None else 1.0


def _flags(connection: Connection, evaluation_id: int) -> dict[str, list[Flag]]:
    found: dict[str, list[Flag]] = {}
    for f in connection.execute(select(evaluation_flags).where(held_in(evaluation_flags, evaluation_id))
                                .order_by(evaluation_flags.c.id)):
        found.setdefault(f.cadre_id, []).append(Flag.from_row(f))
    return found


def _flag_due(flag: Flag, organisation: Organisation) -> date | None:
    """A flag's due day, from its evidence: a due day, or the end of a window or a period."""
    evidence = flag.evidence
    if (due := stored_day(evidence.get("due"))) is not None:
        return due
    try:
        if isinstance(window := evidence.get("window"), str) and "-" in window:
            return last_day(period(window.rsplit("-", 1)[1], organisation).end, organisation)
        if isinstance(label := evidence.get("period"), str) and label:
            return last_day(period(label, organisation).end, organisation)
    except ValueError:
        return None
    return None


def open_requirements(connection: Connection, today: date, reach: tuple[int, int]) -> OpenRequirements:
    """Every requirement not met on ``today`` in the latest evaluation; course lists only when due from
    ``reach[1]`` days before ``today`` to ``reach[0]`` days after it (none before any evaluation).

    A period gone by within ``reach[1]`` days (its reminders after its due days: 7 January's for a course list due on
    31 December, or for the year's hours) is read from its own latest evaluation: its course lists and its hours, not
    other kinds' flags (the latest evaluation carries on those still open)."""
    current = evaluation(connection)
    if current is None:
        return OpenRequirements(None, Organisation(), [])
    rules = judged_rules(connection, current.rules_hash)
    organisation = rules.organisation if rules else Organisation()
    found = _read(connection, current, today, reach, latest=True)
    earliest = date.fromordinal(today.toordinal() - reach[1])
    try:
        label = int(current.period) - 1
    except ValueError:
        label = None
    while label is not None and last_day(period(label, organisation).end, organisation) >= earliest:
        if (gone := evaluation(connection, str(label))) is not None:
            found.extend(_read(connection, gone, today, reach, latest=False))
        label -= 1
    return OpenRequirements(current, organisation, sorted(found, key=lambda r: (r.cadre_id, r.rule, r.due)))


def _first_day(label: str, organisation: Organisation) -> date:
    return datetime.fromtimestamp(period(label, organisation).start, ZoneInfo(organisation.timezone)).date()


def _read(connection: Connection, chosen: Evaluation, today: date, reach: tuple[int, int],
          latest: bool) -> list[OpenRequirement]:
    """The requirements not met in one evaluation: its period's course lists due within reach, its period's hours
    while the period lasts or its last day is within ``reach[1]`` days before ``today``, and (``latest``) other kinds
    by their flags."""
    rules = judged_rules(connection, chosen.rules_hash)
    organisation = rules.organisation if rules else Organisation()
    results = results_by_cadre(connection, chosen.id)
    flags = _flags(connection, chosen.id)
    first, last = _first_day(chosen.period, organisation), last_day(period(chosen.period, organisation).end,
                                                                     organisation)
    hours_open, lasting = today.toordinal() - reach[1] <= last.toordinal(), latest and today <= last
    found: list[OpenRequirement] = []
    lists: list[tuple[str, str, str, CourseList]] = []
    for cadre_id, result in sorted(results.items()):
        if result.status in _NOT_ASKED:
            continue
        mine = flags.get(cadre_id, [])
        measured: set[str] = set()
        for name in result.groups:
            group = rules.groups.get(name) if rules else None
            for index, requirement in enumerate(group.requirements if group else []):
                path = f"groups.{name}.requirements[{index}]"
                if isinstance(requirement, CourseList):
                    measured.add(path)
                    if first <= requirement.due <= last and \
                            today.toordinal() - reach[1] <= requirement.due.toordinal() <= today.toordinal() + reach[0]:
                        lists.append((cadre_id, name, path, requirement))
                elif isinstance(requirement, MinHours | MinOnlineHours) and rules is not None:
                    measured.add(path)
                    if hours_open:
                        found.extend(_hours(result, path, requirement, rules, mine, first, last, lasting))
        if latest:
            found.extend(_flagged(result, [f for f in mine if f.rule not in measured], organisation, rules))
    if lists and rules is not None:
        found.extend(_course_lists(connection, today, rules, results, lists))
    return found


def _hours(result: CadreResult, path: str, requirement: MinHours | MinOnlineHours, rules: Rules, flags: list[Flag],
           first: date, last: date, lasting: bool) -> list[OpenRequirement]:
    """An hours requirement short of its minimum in the period, behind pace when flagged; with the open courses that
    count while the period lasts (``lasting``), none once it is over."""
    online = isinstance(requirement, MinOnlineHours)
    flag = next((f for f in flags if f.rule == path), None)
    required = _number(flag.evidence.get("required")) if flag else None
    achieved = _number(flag.evidence.get("achieved")) if flag else None
    if required is None or achieved is None:
        required = round(requirement.hours * _share(rules, result), 2)
        achieved = round(result.hours_online if online else result.hours, 2)
    if required - achieved <= _SHORT:
        return []
    return [OpenRequirement(result.cadre_id, result.user_id, result.name, requirement_id(requirement),
                            requirement.kind, path.split(".")[1], last, missing_hours=round(required - achieved, 2),
                            courses=_options(flag.evidence) if flag and lasting else (),
                            behind_pace=flag is not None and not flag.evidence.get("overdue"), start=first,
                            online=online, path=path)]


def _flagged(result: CadreResult, flags: list[Flag], organisation: Organisation,
             rules: Rules | None) -> list[OpenRequirement]:
    """Requirements of other kinds, by their flags: one a requirement (its first flag)."""
    found: dict[str, OpenRequirement] = {}
    for flag in flags:
        due = _flag_due(flag, organisation)
        if flag.kind == COMPLETED_LATE or due is None or flag.rule in found:
            continue
        required, achieved = _number(flag.evidence.get("required")), _number(flag.evidence.get("achieved"))
        missing = round(required - achieved, 2) if required is not None and achieved is not None else None
        if missing is not None and missing <= _SHORT:
            continue
        found[flag.rule] = OpenRequirement(
            result.cadre_id, result.user_id, result.name, _stable(flag.rule, rules), unit_for_flag(flag.kind),
            flag.group, due, missing_hours=missing, courses=_options(flag.evidence),
            behind_pace=not flag.evidence.get("overdue"), path=flag.rule)
    return list(found.values())


def _stable(path: str, rules: Rules | None) -> str:
    """The stable id of the requirement at ``path`` (groups.<group>.requirements[<n>]) in the rules that judged the
    flag; the path itself when those rules do not have it."""
    if rules is not None and (found := _PATH.fullmatch(path)) is not None:
        group = rules.groups.get(found[1])
        if group is not None and int(found[2]) < len(group.requirements):
            return requirement_id(group.requirements[int(found[2])])
    return path


def unit_for_flag(flag_kind: str) -> str:
    """The requirement kind that raises a flag kind (the flag kind itself when none does)."""
    unit = BY_FLAG.get(flag_kind)
    return unit.name if unit is not None else flag_kind


def _course_lists(connection: Connection, today: date, rules: Rules, results: Mapping[str, CadreResult],
                  lists: Sequence[tuple[str, str, str, CourseList]]) -> list[OpenRequirement]:
    """Course lists not met, measured on the mirror as it is now (completed and passed, on time or late)."""
    courses = load_courses(connection, CourseFacts)
    open_ids = {o.course_id for o in load_open_courses(connection, day_start(today, rules.organisation), OpenCourse)}
    users = sorted({results[cadre_id].user_id for cadre_id, _g, _p, _r in lists})
    completions = load_completions(connection, users, CompletionFact)
    passed: dict[int, frozenset[int]] = {}
    found = []
    for cadre_id, group, path, requirement in lists:
        result = results[cadre_id]
        if result.user_id not in passed:
            passed[result.user_id] = passed_courses(completions.get(result.user_id, []), courses, rules)
        chosen = sorted((c for c in courses.values() if any(selects(s, c) for s in requirement.courses)),
                        key=lambda c: c.id)
        done = [c for c in chosen if c.id in passed[result.user_id]]
        if not chosen or courses_met(requirement, chosen, done):
            continue  # met (on time or late), or nothing in Moodle to ask for
        missing = [c for c in chosen if c not in done]
        found.append(OpenRequirement(
            cadre_id, result.user_id, result.name, requirement_id(requirement), requirement.kind, group,
            requirement.due, missing_courses=tuple(c.fullname for c in missing), need_any=requirement.need == "any",
            courses=tuple(CountingCourse(c.fullname, c.hours) for c in missing if c.id in open_ids), path=path))
    return found

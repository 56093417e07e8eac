"""What completions and offline training earn: class hours per source and period (pure)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .facts import CompletionFact, CourseFacts, Credit, OfflineFact, Refused
from .periods import day_start, period_of
from .sections import CourseSelector

if TYPE_CHECKING:
    from .model import Rules


def selects(selector: CourseSelector, course: CourseFacts) -> bool:
    if selector.idnumber is not None:
        return course.idnumber == selector.idnumber
    if selector.shortname is not None:
        return course.shortname == selector.shortname
    return selector.category in (course.category_idnumber, course.category_name)


def course_hours(course: CourseFacts, rules: Rules) -> float:
    """The course's Moodle hours field, else the first matching rule, else the default."""
    if course.hours is not None:
        return course.hours
    for rule in rules.courses.hours:
        if selects(rule.match, course):
            return rule.hours
    return rules.courses.default_hours


def completion_credits(cadre_id: str, completions: list[CompletionFact], courses: dict[int, CourseFacts],
                       rules: Rules) -> tuple[list[Credit], list[Refused]]:
    credits: list[Credit] = []
    refused: list[Refused] = []
    seen: set[tuple[str | int, str]] = set()
    rule = rules.credits
    for done in sorted(completions, key=lambda c: (c.time_completed, c.course_id)):
        course = courses.get(done.course_id)
        if course is None:
            continue
        source = f"completion:{done.course_id}:{done.user_id}"
        label = period_of(done.time_completed, rules.organisation).label
        key = (course.idnumber or course.id, label)
        if key in seen:  # the same course twice in a period counts once
            refused.append(Refused(source, course.id, "counted once a period", {"period": label}))
            continue
        seen.add(key)
        hours = course_hours(course, rules)
        detail: dict[str, Any] = {"course": course.fullname, "course_id": course.id, "base_hours": hours,
                                  "grade": done.grade}
        if rule.pass_grade is not None and done.grade is not None and done.grade < rule.pass_grade:
            refused.append(Refused(source, course.id, "failed assessment",
                                   {**detail, "pass_grade": rule.pass_grade}))
            continue
        if rule.excellent and done.grade is not None and done.grade >= rule.excellent.min_grade:
            hours *= rule.excellent.factor
            detail["bonus_factor"] = rule.excellent.factor
        credits.append(Credit(source, cadre_id, label, hours, True, done.time_completed, detail))
    return _capped(credits, rules), refused


def offline_credits(records: list[OfflineFact], rules: Rules) -> tuple[list[Credit], list[Refused]]:
    credits: list[Credit] = []
    refused: list[Refused] = []
    rule = rules.credits
    for record in records:
        hours = record.hours if record.hours is not None else (record.days or 0) * rule.offline_hours_per_day
        at = day_start(record.end, rules.organisation)
        detail: dict[str, Any] = {"training": record.name, "base_hours": hours, "leave_hours": record.leave_hours}
        if hours > 0 and record.leave_hours > hours * rule.leave_limit:
            refused.append(Refused(record.source, None, "leave above the limit",
                                   {**detail, "leave_limit": round(rule.leave_limit, 4)}))
            continue
        label = period_of(at, rules.organisation).label
        credits.append(Credit(record.source, record.cadre_id, label, hours, False, at, detail))
    return _capped(credits, rules), refused


def _capped(credits: list[Credit], rules: Rules) -> list[Credit]:
    cap = rules.credits.cap_per_item
    if cap is None:
        return credits
    return [replace(c, hours=min(c.hours, cap), detail={**c.detail, "capped_at": cap}) if c.hours > cap else c
            for c in credits]


def cap_online(credits: list[Credit], rules: Rules) -> list[Credit]:
    """Online hours above the period's cap earn nothing, the latest first to go."""
    cap = rules.credits.cap_online_per_period
    if cap is None:
        return credits
    used: dict[tuple[str, str], float] = defaultdict(float)
    result: list[Credit] = []
    for credit in sorted(credits, key=lambda c: (c.at, c.source)):
        if not credit.online:
            result.append(credit)
            continue
        key = (credit.cadre_id, credit.period)
        allowed = max(0.0, min(credit.hours, cap - used[key]))
        used[key] += allowed
        result.append(credit if allowed == credit.hours else
                      replace(credit, hours=allowed, detail={**credit.detail, "online_cap": cap}))
    return result

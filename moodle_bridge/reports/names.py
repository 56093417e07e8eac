"""Names, not codes: a ledger source, an attribute value and a requirement as staff read them.

The read model answers with codes (``completion:14:7``, ``section_chief``, ``groups.x.requirements[0]``) and what they
stand for; the words are here: the course's or the training's name, the rules file's labels, the requirement's group
label and plain sentence.
"""

from __future__ import annotations

from ..i18n import N_, _, current_language, translated
from ..results import RequirementStanding, Source
from ..rules.kinds import unit_for
from ..rules.kinds.required_courses import CourseList
from ..rules.model import Rules, label_text
from .plain import flag_label, status_label

# A course list's title where the training file names its courses one by one (``rules check`` says which selectors).
COURSE_LISTS = {"required_courses": N_("Required courses"), "required_reading": N_("Required reading")}


def hours_text(hours: float | None) -> str:
    """Hours as a table shows them: 12, 7.5, 15.25; "-" when none."""
    return "-" if hours is None else f"{hours:.2f}".rstrip("0").rstrip(".")


def source_name(source: Source) -> str:
    """What earned the hours: the course's full name, the offline training's title, a carry-over or an adjustment."""
    if source.kind == "course":
        return source.title or _("a course no longer in Moodle")
    if source.kind == "offline":
        return source.title or _("an offline training no longer on record")
    if source.kind == "carryover":
        return _("Hours carried over from {period}").format(period=source.from_period or "?")
    if source.kind == "adjustment":
        return _("Adjustment by staff (no. {number})").format(number=source.number or "?")
    return _("another source")


def source_detail(source: Source) -> str:
    """What else identifies it: a course's short name, an offline training's organiser."""
    if source.kind == "course":
        return source.short_name or ""
    if source.kind == "offline":
        return source.organiser or ""
    return ""


def source_type(source: Source, online: bool) -> str:
    if source.kind in ("course", "offline"):
        return _("online course") if source.kind == "course" else _("offline training")
    return _("online") if online else _("offline")


def grade_text(source: Source) -> str:
    if source.grade is None:
        return ""
    grade = f"{source.grade:g}"
    return f"{grade} / {source.grade_max:g}" if source.grade_max else grade


def value_label(rules: Rules | None, attribute: str, value: str | None) -> str:
    """A rank or category as the rules file names it in the current language; else the value, made readable."""
    if not value:
        return "-"
    named = rules.labels.value(attribute, value, current_language()) if rules else None
    return named or value.replace("_", " ")


def group_label(rules: Rules | None, group: str) -> str:
    """A group as the rules file names it; its key when the rules are not known (an older evaluation)."""
    found = rules.groups.get(group) if rules else None
    return label_text(found.label, current_language()) if found else group


def flag_requirement(rules: Rules | None, group: str, rule: str) -> str:
    """The requirement a flag was raised by, in words ("<group's label>: <its sentence>"); the group's label alone
    when the rules that judged it are not known (an older evaluation) or no longer hold it."""
    found = rules.groups.get(group) if rules else None
    for index, requirement in enumerate(found.requirements if found else ()):
        if rule == f"groups.{group}.requirements[{index}]":  # the path the evaluation wrote (rules/evaluate.py)
            return _("{group}: {requirement}").format(group=group_label(rules, group),
                                                      requirement=unit_for(requirement.kind).describe(requirement))
    return group_label(rules, group)


def requirement_name(item: RequirementStanding) -> str:
    """The requirement in plain words: its kind's sentence (a course list: its title and due day, its courses named
    apart by ``course_marks``), or (rules not stored) the kind of its flag."""
    found = item.requirement
    if isinstance(found, CourseList) and item.courses and found.kind in COURSE_LISTS:
        text = (_("{what}: all of the courses below, by {due}") if found.need == "all" else
                _("{what}: one of the courses below, by {due}"))
        return text.format(what=translated(COURSE_LISTS[found.kind]), due=found.due.isoformat())
    if found is not None:
        return unit_for(found.kind).describe(found)
    return flag_label(item.flags[0].kind) if item.flags else _("requirement")


def requirement_group(item: RequirementStanding) -> str:
    return label_text(item.group_label, current_language()) if item.group_label else item.group


def course_marks(item: RequirementStanding) -> list[str]:
    """Each course a course list names, done or not."""
    return [(_("“{course}”: done") if course in item.done else _("“{course}”: not done")).format(course=course)
            for course in item.courses]


def standing_label(status: str | None) -> str:
    """Where a requirement stands; None: no flag was raised (met, or on track)."""
    if status == "not_applicable":
        return _("not due this period")
    return _("met or on track") if status is None else status_label(status)

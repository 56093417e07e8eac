"""The rules in plain words, for `moodle-bridge rules check` (pure; each requirement kind describes itself)."""

from __future__ import annotations

from ..i18n import N_, _, current_language
from .kinds import unit_for
from .kinds.base import RequirementModel
from .model import Condition, Labels, Rules, label_text

ATTRIBUTE_WORDS = {"rank": N_("rank"), "category": N_("category"), "unit": N_("unit"), "cohort": N_("cohort")}


def _value(labels: Labels, attribute: str, value: str) -> str:
    """A value as the file names it for people, with the code the file matches on: "正科级 (section_chief)"."""
    named = labels.value(attribute, value, current_language())
    return f"{named} ({value})" if named else value


def _condition(condition: Condition, labels: Labels) -> str:
    parts = [_("{attribute} is {values}").format(attribute=_(ATTRIBUTE_WORDS[name]),
                                                 values=" / ".join(_value(labels, name, v) for v in values))
             for name in ("rank", "category", "unit", "cohort") if (values := getattr(condition, name))]
    if condition.all:
        parts.append("(" + _(" and ").join(_condition(c, labels) for c in condition.all) + ")")
    if condition.any:
        parts.append("(" + _(" or ").join(_condition(c, labels) for c in condition.any) + ")")
    return _(" and ").join(parts) or _("everyone")


def _requirement(requirement: RequirementModel) -> str:
    return unit_for(requirement.kind).describe(requirement)


def describe(rules: Rules) -> list[str]:
    credits = rules.credits
    lines = [_("Periods: years starting {start} ({zone}).").format(start=rules.organisation.period_start,
                                                                  zone=rules.organisation.timezone),
             _("A course is worth its Moodle hours field, else {rules} rule(s), else {hours:g} hours.").format(
                 rules=len(rules.courses.hours), hours=rules.courses.default_hours)]
    if credits.pass_grade is not None:
        lines.append(_("A final grade below {grade:g} earns nothing.").format(grade=credits.pass_grade))
    if credits.excellent:
        lines.append(_("A grade of {grade:g} or more earns x{factor:g}.").format(
            grade=credits.excellent.min_grade, factor=credits.excellent.factor))
    lines.append(_("Offline training: {hours:g} hours a day; leave above {share:.0%} of its hours voids it.").format(
        hours=credits.offline_hours_per_day, share=credits.leave_limit))
    for name, group in rules.groups.items():
        lines.append(_("Group {name} ({label}): cadres whose {who}").format(
            name=name, label=label_text(group.label, current_language()), who=_condition(group.select, rules.labels)))
        lines.extend(f"  - {_requirement(r)}" for r in group.requirements)
    lines.append(_("{n} exemption(s) in the file.").format(n=len(rules.exemptions)))
    return lines

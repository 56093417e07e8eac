"""The rules file, as organisation staff write it (YAML), validated by pydantic.

The sections live in ``sections.py``; each requirement kind declares its own model in
``rules/kinds/``, and the union of requirements is built from the registry there.
Unknown keys are errors: a misspelt requirement must never be silently ignored.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from .assessment import Assessment
from .kinds import requirement_models
from .kinds.base import RequirementModel
from .promotion import Promotion
from .reminders import Reminders
from .sections import (
    ATTRIBUTES,
    Cadres,
    CarryOver,
    Condition,
    Courses,
    CourseSelector,
    Credits,
    Excellent,
    Exemption,
    HoursRule,
    Label,
    Labels,
    Organisation,
    Status,
    Strict,
    UnitSource,
    Words,
    label_text,
)

if TYPE_CHECKING:
    Requirement = RequirementModel  # to the type checker, any kind's model
else:
    Requirement = Annotated[reduce(operator.or_, requirement_models()), Field(discriminator="kind")]


class Group(Strict):
    label: Label  # a name, or a name per language ({en: ..., zh_CN: ...})
    select: Condition
    requirements: list[Requirement] = Field(min_length=1)


class Rules(Strict):
    organisation: Organisation = Organisation()
    cadres: Cadres = Cadres()
    courses: Courses = Courses()
    credits: Credits = Credits()
    status: Status = Status()
    groups: dict[str, Group] = Field(min_length=1)
    exemptions: list[Exemption] = []
    labels: Labels = Labels()
    promotion: Promotion = Promotion()  # which periods the promotion check reads
    assessment: Assessment = Assessment()  # the year-end assessment of units against their targets
    reminders: Reminders = Reminders()  # when cadres are reminded of requirements not met (issue 15)


__all__ = [
    "ATTRIBUTES",
    "Cadres",
    "CarryOver",
    "Condition",
    "CourseSelector",
    "Courses",
    "Credits",
    "Excellent",
    "Exemption",
    "Group",
    "HoursRule",
    "Label",
    "Labels",
    "Organisation",
    "Requirement",
    "Rules",
    "Status",
    "UnitSource",
    "Words",
    "label_text",
]

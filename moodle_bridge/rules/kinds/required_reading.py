"""Required reading: like required courses (named courses by a due date), flagged as reading missing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

from ...i18n import N_, _
from .base import CadreContext, Kind, Outcome, SituationView
from .required_courses import (
    COMPLETED_LATE,
    CourseList,
    CoursesEvidence,
    describe_course_list,
    evaluate_course_list,
    explain_course_list,
    remedy_course_list,
)


class RequiredReading(CourseList):
    kind: Literal["required_reading"]


class RequiredReadingKind(Kind[RequiredReading, CoursesEvidence]):
    name = "required_reading"
    model = RequiredReading
    evidence = CoursesEvidence
    flags: ClassVar[Mapping[str, str]] = {"required_reading_missing": N_("required reading missing"),
                                          COMPLETED_LATE: N_("completed late")}  # shared with required courses
    order = 40
    enrolling_flags = frozenset({"required_reading_missing"})

    def evaluate(self, requirement: RequiredReading, cadre: CadreContext,
                 situation: SituationView) -> Outcome[CoursesEvidence]:
        return evaluate_course_list(requirement, cadre, situation, "required_reading_missing",
                                    "required_reading_missing", None)

    def describe(self, requirement: RequiredReading) -> str:
        return describe_course_list(requirement, _("required reading"))

    def explain(self, flag: str, evidence: CoursesEvidence) -> str:
        return explain_course_list(flag, evidence)

    def remedy(self, flag: str, evidence: CoursesEvidence) -> str | None:
        return remedy_course_list(flag, evidence)

    def courses_to_enrol(self, evidence: CoursesEvidence) -> list[int]:
        return evidence.to_enrol()


UNIT = RequiredReadingKind()

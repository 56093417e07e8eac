"""Named courses (all of them, or one of them) completed and passed by a due date."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self

from pydantic import Field

from ...i18n import N_, _
from ..bounds import SaneDate
from ..periods import day_end, day_start
from ..sections import CourseSelector
from .base import CadreContext, Evidence, Kind, Outcome, RequirementModel, SituationView


class CourseList(RequirementModel):
    """Courses named by selectors, due on a day (required courses and required reading alike)."""

    courses: list[CourseSelector] = Field(min_length=1)
    need: Literal["all", "any"] = "all"
    due: SaneDate


class RequiredCourses(CourseList):
    kind: Literal["required_courses"]


@dataclass(frozen=True)
class FailedAssessment:
    course: str
    grade: float | None
    pass_grade: float | None


@dataclass(frozen=True)
class CoursesEvidence(Evidence):
    """The courses required and those not done by the due date, with any failed assessments."""

    due: str | None
    required: list[str]
    missing: list[str]
    missing_ids: list[int]
    need: str
    failed: list[FailedAssessment] = field(default_factory=list)  # stored only when there are some

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"due": self.due, "required": self.required, "missing": self.missing,
                                "missing_ids": self.missing_ids, "need": self.need}
        if self.failed:
            data["failed"] = [{"course": f.course, "grade": f.grade, "pass_grade": f.pass_grade} for f in self.failed]
        return data

    def to_enrol(self) -> list[int]:
        """The missing courses to enrol in: all of them, or (one of them is enough) the first."""
        return self.missing_ids[:1] if self.need == "any" else list(self.missing_ids)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(data.get("due"), list(data.get("required", [])), list(data.get("missing", [])),
                   list(data.get("missing_ids", [])), data.get("need", "all"),
                   [FailedAssessment(f.get("course", ""), f.get("grade"), f.get("pass_grade"))
                    for f in data.get("failed", [])])


def evaluate_course_list(requirement: CourseList, cadre: CadreContext, situation: SituationView, overdue: str,
                         due_soon: str, failed_flag: str | None) -> Outcome[CoursesEvidence]:
    """Met when the courses are done (and passed) by the due day; flagged ``due_soon`` within the
    rules' due-soon days, ``overdue`` after it, ``failed_flag`` (when given) if an assessment failed."""
    rules, span = situation.rules, situation.period
    due_end = day_end(requirement.due, rules.organisation)
    if not (span.start < due_end <= span.end):
        return Outcome("compliant")  # due in another period
    if cadre.cadre.joined is not None and day_start(cadre.cadre.joined, rules.organisation) >= due_end:
        return Outcome("compliant")  # due before the cadre joined
    chosen = situation.chosen(requirement.courses)
    done = [c for c in chosen if c.id in cadre.completions and c.id not in cadre.failed]
    if chosen and (len(done) == len(chosen) if requirement.need == "all" else done):
        return Outcome("compliant")
    missing = [c for c in chosen if c not in done]
    failed_here = [c for c in missing if c.id in cadre.failed]
    evidence = CoursesEvidence(
        requirement.due.isoformat(), [c.fullname for c in chosen], [c.fullname for c in missing],
        [c.id for c in missing], requirement.need,
        [FailedAssessment(c.fullname, cadre.failed[c.id].detail.get("grade"),
                          cadre.failed[c.id].detail.get("pass_grade")) for c in failed_here])
    if situation.past(due_end):
        return Outcome("non_compliant", failed_flag if failed_here and failed_flag else overdue, evidence)
    if due_end - situation.as_of_end <= rules.status.due_soon_days * 86400:
        return Outcome("at_risk", failed_flag if failed_here and failed_flag else due_soon, evidence)
    return Outcome("on_track")


def selector_words(selector: CourseSelector) -> str:
    if selector.idnumber:
        return _("course {id}").format(id=selector.idnumber)
    if selector.shortname:
        return _("course {name}").format(name=selector.shortname)
    return _("the courses of category {category}").format(category=selector.category)


def describe_course_list(requirement: CourseList, label: str) -> str:
    what = _(", ").join(selector_words(s) for s in requirement.courses)
    need = _("all of") if requirement.need == "all" else _("one of")
    return _("{label}: {need} {what}, by {due}").format(label=label, need=need, what=what,
                                                          due=requirement.due.isoformat())


def explain_course_list(evidence: CoursesEvidence) -> str:
    text = _("not done: {missing}; due {due}").format(missing=", ".join(evidence.missing), due=evidence.due)
    for failed in evidence.failed:
        text += "; " + _("{course}: grade {grade:g} below {pass_grade:g}").format(
            course=failed.course, grade=failed.grade, pass_grade=failed.pass_grade)
    return text


class RequiredCoursesKind(Kind[RequiredCourses, CoursesEvidence]):
    name = "required_courses"
    model = RequiredCourses
    evidence = CoursesEvidence
    flags: ClassVar[Mapping[str, str]] = {
        "missing_required_course": N_("missing required course"),
        "overdue_required_course": N_("overdue required course"),
        "failed_assessment": N_("failed assessment"),
    }
    order = 30
    enrolling_flags = frozenset({"missing_required_course", "overdue_required_course"})  # not a failed assessment

    def evaluate(self, requirement: RequiredCourses, cadre: CadreContext,
                 situation: SituationView) -> Outcome[CoursesEvidence]:
        return evaluate_course_list(requirement, cadre, situation, "overdue_required_course",
                                    "missing_required_course", "failed_assessment")

    def describe(self, requirement: RequiredCourses) -> str:
        return describe_course_list(requirement, _("required courses"))

    def explain(self, flag: str, evidence: CoursesEvidence) -> str:
        return explain_course_list(evidence)

    def courses_to_enrol(self, evidence: CoursesEvidence) -> list[int]:
        return evidence.to_enrol()


UNIT = RequiredCoursesKind()

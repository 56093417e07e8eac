"""Named courses (all of them, or one of them) completed and passed by a due date.

Done after the due date is not silently met: it is flagged ``completed_late`` (with both dates), unless the
requirement says ``late: accept``. Required reading (``required_reading.py``) shares all of this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import Field

from ...i18n import N_, _, day_words
from ..bounds import SaneDate
from ..facts import CourseFacts
from ..periods import day_end, day_start
from ..sections import CourseSelector
from .base import (
    CadreContext,
    Evidence,
    Kind,
    Outcome,
    RequirementModel,
    SituationView,
    course_names,
    deadline_status,
    stored_day,
)


class CourseList(RequirementModel):
    """Courses named by selectors, due on a day (required courses and required reading alike)."""

    courses: list[CourseSelector] = Field(min_length=1)
    need: Literal["all", "any"] = "all"
    due: SaneDate
    late: Literal["flag", "accept"] = "flag"  # done after the due date: flagged completed_late, or accepted as met


class RequiredCourses(CourseList):
    kind: Literal["required_courses"]


@dataclass(frozen=True)
class FailedAssessment:
    course: str
    grade: float | None
    pass_grade: float | None


@dataclass(frozen=True)
class LateCompletion:
    course: str
    completed: str  # the day it was completed (ISO, the organisation's zone)


@dataclass(frozen=True)
class CoursesEvidence(Evidence):
    """The courses required and those not done by the due date, with any failed assessments; for the remedy,
    whether the due date is past and which missing courses are not open in Moodle; for ``completed_late``, the
    courses done after the due date and when."""

    due: str | None
    required: list[str]
    missing: list[str]
    missing_ids: list[int]
    need: str
    failed: list[FailedAssessment] = field(default_factory=list)  # stored only when there are some
    overdue: bool = False  # stored only when true
    not_open: list[str] = field(default_factory=list)  # missing courses not open in Moodle; stored only when some
    late: list[LateCompletion] = field(default_factory=list)  # completed after the due date; stored only when some

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"due": self.due, "required": self.required, "missing": self.missing,
                                "missing_ids": self.missing_ids, "need": self.need}
        if self.failed:
            data["failed"] = [{"course": f.course, "grade": f.grade, "pass_grade": f.pass_grade} for f in self.failed]
        if self.overdue:
            data["overdue"] = True
        if self.not_open:
            data["not_open"] = self.not_open
        if self.late:
            data["late"] = [{"course": c.course, "completed": c.completed} for c in self.late]
        return data

    def to_enrol(self) -> list[int]:
        """The missing courses to enrol in: all of them, or (one of them is enough) the first."""
        return self.missing_ids[:1] if self.need == "any" else list(self.missing_ids)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(data.get("due"), list(data.get("required", [])), list(data.get("missing", [])),
                   list(data.get("missing_ids", [])), data.get("need", "all"),
                   [FailedAssessment(f.get("course", ""), f.get("grade"), f.get("pass_grade"))
                    for f in data.get("failed", [])], bool(data.get("overdue", False)),
                   list(data.get("not_open", [])),
                   [LateCompletion(c.get("course", ""), c.get("completed", "")) for c in data.get("late", [])])


COMPLETED_LATE = "completed_late"  # raised by required courses and required reading alike (one label, one evidence)


def courses_met(requirement: CourseList, chosen: list[CourseFacts], done: list[CourseFacts]) -> bool:
    """Whether ``done`` (of the ``chosen`` courses) meets the requirement: all of them, or one."""
    return bool(chosen) and bool(len(done) == len(chosen) if requirement.need == "all" else done)


def evaluate_course_list(requirement: CourseList, cadre: CadreContext, situation: SituationView, overdue: str,
                         due_soon: str, failed_flag: str | None) -> Outcome[CoursesEvidence]:
    """Met when the courses are done (and passed) by the due day; flagged ``due_soon`` within the
    rules' due-soon days, ``overdue`` after it, ``failed_flag`` (when given) if an assessment failed, and
    ``completed_late`` when done, but after the due day (unless the requirement accepts that)."""
    rules, span = situation.rules, situation.period
    due_end = day_end(requirement.due, rules.organisation)
    if not (span.start < due_end <= span.end):
        return Outcome("compliant", holds_until=None)  # due in another period
    if cadre.cadre.joined is not None and day_start(cadre.cadre.joined, rules.organisation) >= due_end:
        return Outcome("compliant", holds_until=None)  # due before the cadre joined
    chosen = situation.chosen(requirement.courses)
    done = [c for c in chosen if c.id in cadre.completions and c.id not in cadre.failed]
    if courses_met(requirement, chosen, [c for c in done if cadre.completions[c.id].time_completed < due_end]):
        return Outcome("compliant", holds_until=None)
    if courses_met(requirement, chosen, done):
        return _completed_late(requirement, cadre, situation, chosen, done, due_end)
    missing = [c for c in chosen if c not in done]
    failed_here = [c for c in missing if c.id in cadre.failed]
    status, holds = deadline_status(situation, due_end)
    if status == "on_track":
        return Outcome(status, holds_until=holds)
    past = status == "non_compliant"
    open_ids = situation.open_course_ids()
    evidence = CoursesEvidence(
        requirement.due.isoformat(), [c.fullname for c in chosen], [c.fullname for c in missing],
        [c.id for c in missing], requirement.need,
        [FailedAssessment(c.fullname, cadre.failed[c.id].detail.get("grade"),
                          cadre.failed[c.id].detail.get("pass_grade")) for c in failed_here], past,
        [] if open_ids is None else [c.fullname for c in missing if c not in failed_here and c.id not in open_ids])
    flag = failed_flag if failed_here and failed_flag else overdue if past else due_soon
    return Outcome(status, flag, evidence, holds_until=holds)


def _completed_late(requirement: CourseList, cadre: CadreContext, situation: SituationView, chosen: list[CourseFacts],
                    done: list[CourseFacts], due_end: int) -> Outcome[CoursesEvidence]:
    """Done, but after the due day. At risk, not non-compliant: at risk or worse is what raises a flag (the
    flagged list, notify, the counts), and 预警 asks staff to look without calling the requirement unmet; what
    was missing is done and a late completion cannot be undone. A requirement saying ``late: accept`` is met."""
    if requirement.late == "accept":
        return Outcome("compliant", holds_until=None)
    zone = ZoneInfo(situation.rules.organisation.timezone)
    late = [LateCompletion(c.fullname, datetime.fromtimestamp(cadre.completions[c.id].time_completed, zone)
                           .date().isoformat()) for c in done if cadre.completions[c.id].time_completed >= due_end]
    return Outcome("at_risk", COMPLETED_LATE, CoursesEvidence(
        requirement.due.isoformat(), [c.fullname for c in chosen], [], [], requirement.need, late=late),
        holds_until=None)


def selector_words(selector: CourseSelector) -> str:
    if selector.idnumber:
        return _("course {id}").format(id=selector.idnumber)
    if selector.shortname:
        return _("course {name}").format(name=selector.shortname)
    return _("the courses of category {category}").format(category=selector.category)


def describe_course_list(requirement: CourseList, label: str) -> str:
    what = _(", ").join(selector_words(s) for s in requirement.courses)
    need = _("all of") if requirement.need == "all" else _("one of")
    text = _("{label}: {need} {what}, by {due}").format(label=label, need=need, what=what,
                                                        due=requirement.due.isoformat())
    return text + _("; ") + (_("completed late: accepted as met") if requirement.late == "accept" else
                             _("completed late: flagged"))


def _day(text: str | None) -> str:
    """A stored ISO day in words; as stored when unreadable."""
    day = stored_day(text)
    return day_words(day) if day else (text or "")


def explain_course_list(flag: str, evidence: CoursesEvidence) -> str:
    if flag == COMPLETED_LATE:
        return "; ".join(_("{course} completed on {completed}, due by {due}").format(
            course=c.course, completed=_day(c.completed), due=_day(evidence.due)) for c in evidence.late)
    text = _("not done: {missing}; due {due}").format(missing=", ".join(evidence.missing), due=evidence.due)
    for failed in evidence.failed:
        text += "; " + _("{course}: grade {grade:g} below {pass_grade:g}").format(
            course=failed.course, grade=failed.grade, pass_grade=failed.pass_grade)
    return text


def remedy_course_list(flag: str, evidence: CoursesEvidence) -> str | None:
    """The missing courses themselves, by the due day (or at once, when it is past); a failed assessment to
    pass; the missing courses Moodle does not offer now, for the administrator to open."""
    if flag == COMPLETED_LATE:
        return _("nothing left to complete; explain the delay to the organisation department")
    due = stored_day(evidence.due)
    overdue = evidence.overdue or flag == "overdue_required_course"  # an older version stored no "overdue"
    failed = {f.course for f in evidence.failed}
    parts = []
    if to_do := [name for name in evidence.missing if name not in failed]:
        words = course_names(to_do)
        if evidence.need == "any" and len(evidence.missing) > 1:
            form = (_("complete one of {courses} now; the deadline was {due}") if overdue else
                    _("complete one of {courses} by {due}") if due else _("complete one of {courses}"))
        else:
            form = (_("complete {courses} now; the deadline was {due}") if overdue else
                    _("complete {courses} by {due}") if due else _("complete {courses}"))
        parts.append(form.format(courses=words, due=day_words(due) if due else ""))
    for f in evidence.failed:
        form = (_("pass {courses} (a grade of {grade:g} or more) now; the deadline was {due}") if overdue else
                _("pass {courses} (a grade of {grade:g} or more) by {due}") if due else
                _("pass {courses} (a grade of {grade:g} or more)"))
        parts.append(form.format(courses=course_names([f.course]), grade=f.pass_grade or 0,
                                 due=day_words(due) if due else ""))
    if evidence.not_open:
        parts.append(_("{courses}: not open in Moodle now, ask the Moodle administrator").format(
            courses=course_names(evidence.not_open)))
    return _("; ").join(parts) or None


class RequiredCoursesKind(Kind[RequiredCourses, CoursesEvidence]):
    name = "required_courses"
    model = RequiredCourses
    evidence = CoursesEvidence
    flags: ClassVar[Mapping[str, str]] = {
        "missing_required_course": N_("missing required course"),
        "overdue_required_course": N_("overdue required course"),
        "failed_assessment": N_("failed assessment"),
        COMPLETED_LATE: N_("completed late"),
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
        return explain_course_list(flag, evidence)

    def remedy(self, flag: str, evidence: CoursesEvidence) -> str | None:
        return remedy_course_list(flag, evidence)

    def courses_to_enrol(self, evidence: CoursesEvidence) -> list[int]:
        return evidence.to_enrol()


UNIT = RequiredCoursesKind()

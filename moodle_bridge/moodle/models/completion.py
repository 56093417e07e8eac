from __future__ import annotations

from ._base import MoodleModel, Warning


class CriterionDetails(MoodleModel):
    type: str
    criteria: str
    requirement: str
    status: str


class CompletionCriterion(MoodleModel):
    type: int
    title: str
    status: str
    complete: bool
    timecompleted: int | None
    details: CriterionDetails


class CompletionStatus(MoodleModel):
    completed: bool
    aggregation: int
    completions: list[CompletionCriterion]

    @property
    def time_completed(self) -> int | None:
        """Moodle gives no course-level time: the latest criterion time equals it (lab-checked)."""
        if not self.completed:
            return None
        times = [c.timecompleted for c in self.completions if c.timecompleted]
        return max(times) if times else None


class CourseCompletionStatus(MoodleModel):
    """``core_completion_get_course_completion_status``: one user in one course."""

    completionstatus: CompletionStatus
    warnings: list[Warning] = []


class ActivityRuleValue(MoodleModel):
    ignored_keys = frozenset({"description"})

    status: int


class ActivityRule(MoodleModel):
    rulename: str
    rulevalue: ActivityRuleValue


class ActivityStatus(MoodleModel):
    ignored_keys = frozenset({
        "valueused", "hascompletion", "isautomatic", "istrackeduser", "uservisible",
    })

    cmid: int
    modname: str
    instance: int
    state: int
    timecompleted: int | None
    tracking: int
    overrideby: int | None = None
    details: list[ActivityRule] = []
    isoverallcomplete: bool | None = None


class ActivitiesCompletionStatus(MoodleModel):
    """``core_completion_get_activities_completion_status`` (needs ``report/progress:view``)."""

    statuses: list[ActivityStatus]
    warnings: list[Warning] = []

"""The web-service functions moodle_bridge calls: what each returns, whether it writes, who needs it.

One table serves the client (only reads are retried freely), ``doctor`` (which functions the
configured features need, and what a missing one disables) and the contract tests (which model
parses which recording).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..i18n import N_
from . import models as m
from .models import feedback as fb
from .models.calendar import CreatedEvents


@dataclass(frozen=True)
class Feature:
    key: str
    label: str  # translated where shown
    optional: bool = False  # a faster road or an opt-in: missing it degrades, never blocks
    implied_by: str | None = None  # on whenever this other feature is on


FEATURES = {
    f.key: f
    for f in [
        Feature("connect", N_("connection check")),
        Feature("courses", N_("sync of categories and courses")),
        Feature("units", N_("sync of units (cohorts)")),
        Feature("cadres", N_("sync of cadres and enrolments")),
        Feature("completions", N_("sync of course completions")),
        Feature("completions_report", N_("fast completion sync through a custom report"), optional=True),
        Feature("report_filters", N_("reading only what changed, and a report in parts (report filters)"),
                optional=True),
        Feature("batch", N_("batched calls (several calls per request)"), optional=True),
        Feature("grades", N_("sync of final grades")),
        Feature("activity_completions", N_("sync of activity completions"), optional=True),
        Feature("enrol", N_("enrolling cadres in required courses")),
        Feature("notify", N_("messages to flagged cadres")),
        # Comes with notify: doctor's check that Moodle lets the integration user message cadres.
        Feature("notify_check", N_("checking beforehand that Moodle lets the integration user message cadres"),
                optional=True, implied_by="notify"),
        Feature("profile_hours", N_("writing credited hours into a profile field")),
        Feature("feedback", N_("course evaluations and training needs from Moodle Feedback activities"),
                optional=True),
        Feature("calendar", N_("due dates of required courses and reading in the cadres' Moodle calendars")),
    ]
}


@dataclass(frozen=True)
class WSFunction:
    name: str
    returns: Any  # a type for pydantic's TypeAdapter; None for functions that answer null
    feature: str
    writes: bool = False


_TABLE = [
    WSFunction("core_webservice_get_site_info", m.SiteInfo, "connect"),
    WSFunction("core_course_get_categories", list[m.Category], "courses"),
    WSFunction("core_course_get_courses", list[m.Course], "courses"),
    WSFunction("core_cohort_get_cohorts", list[m.Cohort], "units"),
    WSFunction("core_cohort_get_cohort_members", list[m.CohortMembers], "units"),
    WSFunction("core_enrol_get_enrolled_users", list[m.EnrolledUser], "cadres"),
    WSFunction("core_user_get_users_by_field", list[m.User], "cadres"),
    WSFunction("core_completion_get_course_completion_status", m.CourseCompletionStatus, "completions"),
    WSFunction("core_reportbuilder_list_reports", m.ReportList, "completions_report"),
    WSFunction("core_reportbuilder_retrieve_report", m.RetrievedReport, "completions_report"),
    # Writes: they store the integration user's filter values for a report (a user preference).
    WSFunction("core_reportbuilder_set_filters", bool, "report_filters", writes=True),
    WSFunction("core_reportbuilder_filters_reset", bool, "report_filters", writes=True),
    # Declared "write" by Moodle because it may run anything; the client decides per batch.
    WSFunction("tool_mobile_call_external_functions", m.BatchResponse, "batch", writes=True),
    WSFunction("gradereport_user_get_grade_items", m.GradeItemsReport, "grades"),
    WSFunction(
        "core_completion_get_activities_completion_status",
        m.ActivitiesCompletionStatus,
        "activity_completions",
    ),
    WSFunction("enrol_manual_enrol_users", None, "enrol", writes=True),
    WSFunction("core_message_send_instant_messages", list[m.SentMessage], "notify", writes=True),
    WSFunction("core_message_get_member_info", list[m.MemberInfo], "notify_check"),
    WSFunction("core_user_update_users", m.WarningsOnly, "profile_hours", writes=True),
    # Not in the lab's service: their declarations are read from Moodle's source (tests/fixtures/moodle_source).
    WSFunction("mod_feedback_get_feedbacks_by_courses", fb.FeedbacksByCourses, "feedback"),
    WSFunction("mod_feedback_get_items", fb.FeedbackItems, "feedback"),
    WSFunction("mod_feedback_get_responses_analysis", fb.ResponsesAnalysis, "feedback"),
    WSFunction("core_calendar_create_calendar_events", CreatedEvents, "calendar", writes=True),
    # Not in the lab's service: its declaration is read from Moodle's source (tests/fixtures/moodle_source).
    WSFunction("core_calendar_delete_calendar_events", None, "calendar", writes=True),
]

FUNCTIONS: dict[str, WSFunction] = {f.name: f for f in _TABLE}
BATCH_FUNCTION = "tool_mobile_call_external_functions"


def is_read(function: str) -> bool:
    """Unknown functions count as writes: never retried unless provably not sent."""
    spec = FUNCTIONS.get(function)
    return spec is not None and not spec.writes


def with_implied(features: set[str]) -> set[str]:
    return features | {f.key for f in FEATURES.values() if f.implied_by in features}


def functions_for(features: set[str]) -> list[WSFunction]:
    features = with_implied(features)
    return [f for f in _TABLE if f.feature in features]

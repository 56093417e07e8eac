"""Typed answers of the web-service functions moodle_bridge calls (pydantic, unknown keys ignored)."""

from ._base import CustomField, MoodleModel, Warning, WarningsOnly
from .batch import BatchItem, BatchResponse
from .cohort import Cohort, CohortMembers
from .completion import ActivitiesCompletionStatus, CourseCompletionStatus
from .course import Category, Course
from .grades import GradeItemsReport
from .message import MemberInfo, SentMessage
from .report import ReportList, RetrievedReport
from .site import SiteInfo
from .user import EnrolledUser, User, UserProfileField

__all__ = [
    "ActivitiesCompletionStatus", "BatchItem", "BatchResponse", "Category", "Cohort",
    "CohortMembers", "Course", "CourseCompletionStatus", "CustomField", "EnrolledUser",
    "GradeItemsReport", "MemberInfo", "MoodleModel", "ReportList", "RetrievedReport", "SentMessage",
    "SiteInfo", "User", "UserProfileField", "Warning",
    "WarningsOnly",
]

from __future__ import annotations

from ._base import CustomField, MoodleModel


class Cohort(MoodleModel):
    """``core_cohort_get_cohorts``: a unit's cohort; its ``idnumber`` is the stable unit code."""

    ignored_keys = frozenset({"descriptionformat", "theme"})

    id: int
    name: str
    idnumber: str | None
    visible: bool
    description: str | None = None
    customfields: list[CustomField] = []


class CohortMembers(MoodleModel):
    """``core_cohort_get_cohort_members``."""

    cohortid: int
    userids: list[int]

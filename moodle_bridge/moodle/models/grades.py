from __future__ import annotations

from ._base import MoodleModel, Warning


class GradeItem(MoodleModel):
    """One grade item of one user; ``itemtype == "course"`` is the course total (final grade)."""

    ignored_keys = frozenset({
        "locked", "weightraw", "weightformatted", "status", "gradehiddenbydate",
        "gradeneedsupdate", "gradeishidden", "gradeislocked", "gradeisoverridden",
        "rangeformatted", "lettergradeformatted", "rank", "numusers", "averageformatted",
        "feedback", "feedbackformat", "outcomeid", "scaleid", "categoryid", "iteminstance",
        "itemnumber",
    })

    id: int
    itemname: str | None
    itemtype: str
    itemmodule: str | None
    idnumber: str | None
    cmid: int | None = None
    graderaw: float | None = None
    gradedatesubmitted: int | None = None
    gradedategraded: int | None = None
    gradeformatted: str | None = None
    grademin: float | None = None
    grademax: float | None = None
    percentageformatted: str | None = None


class UserGrades(MoodleModel):
    ignored_keys = frozenset({"maxdepth"})

    courseid: int
    courseidnumber: str | None
    userid: int
    userfullname: str
    useridnumber: str | None
    gradeitems: list[GradeItem]

    @property
    def course_total(self) -> GradeItem | None:
        return next((item for item in self.gradeitems if item.itemtype == "course"), None)


class GradeItemsReport(MoodleModel):
    """``gradereport_user_get_grade_items``: every user of a course when called without userid."""

    usergrades: list[UserGrades]
    warnings: list[Warning] = []

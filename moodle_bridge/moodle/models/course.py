from __future__ import annotations

from ._base import CustomField, MoodleModel


class Category(MoodleModel):
    """``core_course_get_categories``."""

    ignored_keys = frozenset({"descriptionformat", "sortorder", "visibleold", "theme"})

    id: int
    name: str
    parent: int
    depth: int
    path: str
    coursecount: int
    idnumber: str | None = None
    description: str | None = None
    visible: int | None = None
    timemodified: int | None = None


class Course(MoodleModel):
    """``core_course_get_courses``; the list includes the site course (``format == "site"``)."""

    ignored_keys = frozenset({
        "categorysortorder", "summaryformat", "showgrades", "newsitems", "numsections",
        "maxbytes", "showreports", "hiddensections", "groupmode", "groupmodeforce",
        "defaultgroupingid", "completionnotify", "lang", "forcetheme", "courseformatoptions",
        "showactivitydates", "showcompletionconditions",
    })

    id: int
    shortname: str
    fullname: str
    displayname: str
    categoryid: int
    format: str
    startdate: int
    enddate: int
    idnumber: str | None = None
    summary: str | None = None
    visible: int | None = None
    enablecompletion: int | None = None
    timecreated: int | None = None
    timemodified: int | None = None
    customfields: list[CustomField] = []

    @property
    def is_site(self) -> bool:
        return self.format == "site"

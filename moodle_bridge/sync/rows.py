"""Moodle's answers as mirror rows (pure: no I/O)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from ..moodle.models import Category, Cohort, Course, User
from ..moodle.models.grades import UserGrades

Row = dict[str, Any]


def category_row(category: Category) -> Row:
    return {"id": category.id, "name": category.name, "idnumber": category.idnumber or None,
            "parent": category.parent, "path": category.path, "visible": bool(category.visible if
                                                                              category.visible is not None else 1)}


def _custom_value(course: Course, shortname: str) -> Any:
    field = next((f for f in course.customfields if f.shortname == shortname), None)
    if field is None:
        return None
    return field.valueraw if field.valueraw not in (None, "") else (field.value or None)


def course_hours(course: Course, shortname: str) -> float | None:
    """The class hours custom field; None when missing or not a number (the rules then decide)."""
    value = _custom_value(course, shortname)
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def course_row(course: Course, hours_field: str, type_field: str) -> Row:
    training_type = _custom_value(course, type_field)
    return {"id": course.id, "shortname": course.shortname, "fullname": course.fullname,
            "idnumber": course.idnumber or None, "categoryid": course.categoryid,
            "visible": bool(course.visible if course.visible is not None else 1),
            "startdate": course.startdate, "enddate": course.enddate,
            "completion_enabled": bool(course.enablecompletion), "hours": course_hours(course, hours_field),
            "training_type": None if training_type is None else str(training_type),
            "timemodified": course.timemodified}


def cohort_row(cohort: Cohort) -> Row:
    """A cohort with its custom fields' stored values (a unit's cohort may name its parent unit in one)."""
    custom = {f.shortname: str(f.valueraw if f.valueraw not in (None, "") else f.value) for f in cohort.customfields
              if f.valueraw not in (None, "") or f.value not in (None, "")}
    return {"id": cohort.id, "name": cohort.name, "idnumber": cohort.idnumber or None, "visible": cohort.visible,
            "customfields": custom or None}


def user_row(user: User, cadre_id_field: str) -> Row:
    profile = {f.shortname: f.value for f in user.customfields if f.value not in (None, "")}
    return {"id": user.id, "username": user.username, "idnumber": user.idnumber or None,
            "firstname": user.firstname, "lastname": user.lastname, "email": user.email,
            "department": user.department or None, "suspended": bool(user.suspended),
            "cadre_id": profile.get(cadre_id_field) or None, "profile": profile, "lang": user.lang or None}


def grade_row(grades: UserGrades) -> Row | None:
    """The course total as a mirror row; None when the learner has no final grade."""
    total = grades.course_total
    if total is None or total.graderaw is None:
        return None
    return {"course_id": grades.courseid, "user_id": grades.userid, "grade": total.graderaw,
            "grademax": total.grademax, "graded_at": total.gradedategraded}


def has_markup(text: str | None) -> bool:
    return bool(text and "<" in text)


_DELETED_USERNAME = re.compile(r"\.\d{9,}$")  # "<old email>.<time of deletion>"
_MD5 = re.compile(r"^[0-9a-f]{32}$")


def looks_deleted(user: User, known_username: str | None = None) -> bool:
    """Whether Moodle's answer is a deleted user's remains.

    Moodle keeps a deleted user's row and still returns it by id, without a deleted flag:
    delete_user() (lib/moodlelib.php) rewrites the username to "<email>.<time>", the email to
    md5(<old username>) and empties the ID number. With the username we mirrored before, the
    md5 proves it; without it, the two rewritten fields together do.
    """
    email, username = user.email or "", user.username or ""
    if known_username and email == hashlib.md5(known_username.encode()).hexdigest():
        return True
    return bool(_MD5.match(email) and _DELETED_USERNAME.search(username) and not user.idnumber)

"""A site recorded from a real Moodle: ``load_site(snapshot_dir)`` builds the simulator's Site from the
snapshot's ``truth.json`` (its database tables, read with SQL; see the recordings' README).

Only truth.json is read. What it lacks (category and cohort descriptions, course summaries and section
counts, when a course, category or report was made, users' city, country, time zone and last access, the
names of ungraded activities, when grades were first given) is left empty here, and the replay contract
test (tests/simulator/test_recorded_site.py) lists those values. Site settings it lacks come from the
lab's documented set-up (profile field names, completion rules per module, the time zone). The rest is
derived the way Moodle derives it, each said where it is done.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .data import (
    SITE_COURSE_ID,
    Activity,
    ActivityCompletion,
    Category,
    Cohort,
    CompletionRecord,
    Course,
    Enrolment,
    Progress,
    Report,
    Site,
    User,
)
from .functions import MOODLE_COLUMNS
from .generator import PROFILE_FIELDS

# truth.json does not hold completionusegrade/completionpassgrade. The lab's set-up (its README: "a page
# or book that completes on view and a quiz (pass 60) or an assignment") makes quizzes require a passing
# grade and assignments any grade.
PASSGRADE_MODULES = frozenset({"quiz"})
MAX_COURSES_IN_CATEGORY = 10000  # Moodle's sortorder step between categories
SITE_TIMEZONE = "Asia/Shanghai"  # not in truth.json; the recordings' README: the site's and its users' zone
CRITERIA_ACTIVITY, CRITERIA_GRADE = 4, 6

Row = dict[str, Any]  # one row of a truth.json table, by column name


def load_site(snapshot_dir: str | Path) -> Site:
    """The Site a snapshot's truth.json describes; its clock is the snapshot's ``recorded_at``."""
    tables = _tables(json.loads((Path(snapshot_dir) / "truth.json").read_text(encoding="utf-8")))
    front = next(r for r in tables["courses"] if r["id"] == SITE_COURSE_ID)
    site = Site(name=front["fullname"], now=tables["recorded_at"], profile_field_names=dict(PROFILE_FIELDS),
                timezone=SITE_TIMEZONE)
    site.categories = _categories(tables["categories"])
    site.site_course = _course(front, [], {}, {})
    site.courses = _courses(tables, site.categories)
    site.users = {r["id"]: _user(r) for r in tables["users"]}
    site.cohorts = _cohorts(tables["cohorts"], tables["cohort_members"])
    site.enrolments = {(r["courseid"], r["userid"]): _enrolment(r) for r in tables["enrolments"]}
    site.progress = _progress(tables, site.courses)
    site.reports = {r["id"]: Report(r["id"], r["name"], [MOODLE_COLUMNS[c.strip()] for c in r["columns"].split("|")])
                    for r in tables["reports"]}
    site.integration_user_id = next(r["id"] for r in tables["users"] if r["username"] == "bridge")
    site._next_id = 1 + max([r["id"] for r in tables["enrolments"]] + [r["id"] for r in tables["users"]])
    return site


def _tables(truth: dict[str, Any]) -> dict[str, Any]:
    """Each table as a list of dicts by column name."""
    tables: dict[str, Any] = {"recorded_at": truth["recorded_at"]}
    for name, table in truth.items():
        if isinstance(table, dict) and "header" in table:
            tables[name] = [dict(zip(table["header"], row, strict=False)) for row in table["rows"]]
    return tables


def _categories(rows: list[Row]) -> dict[int, Category]:
    categories = {}
    # fix_course_sortorder() numbers categories in order, MAX_COURSES_IN_CATEGORY apart (top level here).
    for position, row in enumerate(sorted(rows, key=lambda r: (r["path"].count("/"), r["id"])), start=1):
        categories[row["id"]] = Category(
            row["id"], row["name"],
            row["idnumber"] or None,  # Moodle stores the installer's "Category 1" idnumber as NULL
            parent=row["parent"], sortorder=position * MAX_COURSES_IN_CATEGORY, visible=row["visible"],
            path=row["path"])
    return categories


def _courses(tables: dict[str, Any], categories: dict[int, Category]) -> dict[int, Course]:
    items = {(r["courseid"], r["itemtype"], r["itemmodule"], r["iteminstance"]): r for r in tables["grade_items"]}
    criteria: dict[int, list[Row]] = {}
    for row in tables["course_completion_criteria"]:
        criteria.setdefault(row["course"], []).append(row)
    activities: dict[int, list[Row]] = {}
    for row in sorted(tables["activities"], key=lambda r: r["cmid"]):
        activities.setdefault(row["course"], []).append(row)
    courses = {}
    for row in tables["courses"]:
        if row["id"] != SITE_COURSE_ID:
            courses[row["id"]] = _course(row, activities.get(row["id"], []), items, criteria)
    # A new course goes first in its category: sortorder counts up from the category's by id, newest first.
    by_category: dict[int, list[Course]] = {}
    for course in courses.values():
        by_category.setdefault(course.categoryid, []).append(course)
    for categoryid, members in by_category.items():
        for rank, course in enumerate(sorted(members, key=lambda c: -c.id), start=1):
            course.sortorder = categories[categoryid].sortorder + rank
    return courses


def _course(row: Row, activity_rows: list[Row], items: dict[tuple[Any, ...], Row],
            criteria: dict[int, list[Row]]) -> Course:
    course_item = next((i for k, i in items.items() if k[0] == row["id"] and k[1] == "course"), None)
    own = criteria.get(row["id"], [])
    activity_criteria = {c["moduleinstance"] for c in own if c["criteriatype"] == CRITERIA_ACTIVITY}
    grade_criterion = next((c for c in own if c["criteriatype"] == CRITERIA_GRADE), None)
    course = Course(
        id=row["id"], shortname=row["shortname"], fullname=row["fullname"], idnumber=row["idnumber"],
        categoryid=row["category"], startdate=row["startdate"], enddate=row["enddate"],
        hours=None if row["hours"] is None else float(row["hours"]), training_type=row["training_type"] or "",
        visible=row["visible"], enablecompletion=row["enablecompletion"],
        timecreated=row["timemodified"],  # not in truth.json: the nearest known time
        timemodified=row["timemodified"],
        grade_item_id=course_item["id"] if course_item else 0,
        grade_category_id=course_item["iteminstance"] if course_item else 0,
        grademax=course_item["grademax"] if course_item else 100.0,
        gradepass=course_item["gradepass"] if course_item else 0.0,
        pass_grade=grade_criterion["gradepass"] if grade_criterion else None,
    )
    if row["id"] == SITE_COURSE_ID:
        course.format, course.numsections, course.pass_grade = "site", 1, None
    for activity in activity_rows:
        item = items.get((row["id"], "mod", activity["modname"], activity["instance"]))
        course.activities.append(Activity(
            cmid=activity["cmid"], modname=activity["modname"], instance=activity["instance"],
            name=item["itemname"] if item else "",  # ungraded activities' names are not in truth.json
            view=bool(activity["completionview"]),
            graded=item is not None and activity["completion"] == 2 and not activity["completionview"],
            passgrade=item is not None and activity["modname"] in PASSGRADE_MODULES,
            completion=activity["completion"], criterion=activity["cmid"] in activity_criteria,
            idnumber=activity["idnumber"] or "", visible=activity["visible"],
            grade_item_id=item["id"] if item else 0, gradepass=item["gradepass"] if item else 0.0,
        ))
    return course


def _user(row: Row) -> User:
    profile = {k: row[k] for k in PROFILE_FIELDS if row.get(k)}
    # city, country and time zone are not in truth.json: Moodle's values for a user created without them.
    return User(row["id"], row["username"], row["firstname"], row["lastname"], row["email"],
                idnumber=row["idnumber"] or "", department=row["department"] or "", profile=profile,
                suspended=bool(row["suspended"]), deleted=bool(row["deleted"]), auth=row["auth"],
                city="", country="", timezone="99", timemodified=row["timemodified"])


def _cohorts(rows: list[Row], members: list[Row]) -> dict[int, Cohort]:
    cohorts = {r["id"]: Cohort(r["id"], r["name"], r["idnumber"], visible=bool(r["visible"])) for r in rows}
    for row in members:
        cohorts[row["cohortid"]].members.append(row["userid"])
    return cohorts


def _enrolment(row: Row) -> Enrolment:
    role = row["roles"].split(",")[0].strip() if row["roles"] else "student"
    return Enrolment(row["courseid"], row["userid"], role, row["status"], row["timestart"], row["timeend"],
                     row["timecreated"], id=row["id"])


def _progress(tables: dict[str, Any], courses: dict[int, Course]) -> dict[tuple[int, int], Progress]:
    progress: dict[tuple[int, int], Progress] = {}

    def of(courseid: int, userid: int) -> Progress:
        return progress.setdefault((courseid, userid), Progress())

    for row in tables["course_completions"]:
        of(row["course"], row["userid"]).record = CompletionRecord(
            row["timeenrolled"], row["timestarted"], row["timecompleted"], row["reaggregate"])
    for row in tables["activity_completions"]:
        of(row["course"], row["userid"]).activities[row["cmid"]] = ActivityCompletion(
            row["completionstate"], row["timemodified"], row["overrideby"])
    for row in tables["course_grades"]:
        learner = of(row["courseid"], row["userid"])
        learner.grade, learner.graded_at = row["finalgrade"], row["timemodified"]
        learner.grade_created = row["timemodified"]  # timecreated is not in truth.json
    for (courseid, _userid), learner in progress.items():
        if courseid in courses:
            learner.criteria = _criteria(courses[courseid], learner)
    return progress


def _criteria(course: Course, learner: Progress) -> dict[int | str, int]:
    """course_completion_crit_compl is not in truth.json; it follows from what it records. A criterion is
    met when its activity or grade says so now; a completed course had every criterion met by its
    completion time, and Moodle keeps those rows when an activity or grade changes later."""
    met = Site.criteria_met(course, learner)
    done = learner.timecompleted
    if done is None:
        return met
    return {c: min(met.get(c, done), done) for c in Site.criteria_of(course)}

"""What the simulated Moodle answers, function by function, in the shapes a real Moodle 5.1 uses.

Each handler takes the site, the calling user's rights and the validated arguments, and returns
the JSON-ready answer or raises :class:`SimError`. Key order and types follow the recordings in
``tests/fixtures/moodle`` (a contract test compares them).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, partial
from typing import Any
from zoneinfo import ZoneInfo

from .data import (
    GRADE_CRITERION,
    ROLE_IDS,
    SITE_COURSE_ID,
    Activity,
    CompletionRecord,
    Course,
    Enrolment,
    Progress,
    Report,
    Site,
    User,
)
from .protocol import HANDLERS as HANDLERS  # the registry, every handler in it once this module is imported
from .protocol import Args, Context, JsonObject, SimError, handler, picture

RELEASE, VERSION = "5.1+ (Build: 20251017)", "2025100600.02"


def not_found() -> SimError:
    return SimError("invalidrecordunknown", "Can't find data record in database.", "dml_missing_record_exception")


def _num(value: float | None) -> int | float | None:
    """PHP's JSON writes whole floats of these fields as integers."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def php_json(value: Any) -> str:
    """JSON text as PHP's json_encode writes it (no spaces, "/" escaped, non-ASCII as \\u escapes)."""
    return json.dumps(value, separators=(",", ":")).replace("/", "\\/")


def display_date(timestamp: int, tz: str = "Asia/Shanghai") -> str:
    """How Moodle shows a date and time to an English-speaking user: 'Sunday, 26 July 2026, 3:00 PM'."""
    moment = datetime.fromtimestamp(timestamp, ZoneInfo(tz))
    hour = moment.hour % 12 or 12
    return f"{moment:%A}, {moment.day} {moment:%B %Y}, {hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


# --- site and structure -----------------------------------------------------------------------


@handler("core_webservice_get_site_info")
def site_info(ctx: Context, args: Args) -> JsonObject:
    user = ctx.site.users[ctx.caller.userid]
    return {
        "sitename": ctx.site.name, "username": user.username, "firstname": user.firstname,
        "lastname": user.lastname, "fullname": user.fullname, "lang": user.lang, "userid": user.id,
        "siteurl": ctx.siteurl, "userpictureurl": picture(ctx, "f1"),
        "functions": [{"name": name, "version": VERSION} for name in sorted(ctx.service)],
        "downloadfiles": 1, "uploadfiles": 0, "release": RELEASE, "version": VERSION, "mobilecssurl": "",
        "advancedfeatures": [{"name": "enablecompletion", "value": 1}, {"name": "enablecustomreports", "value": 1}],
        "usercanmanageownfiles": True, "userquota": 104857600, "usermaxuploadfilesize": 67108864,
        "userhomepage": 1, "userprivateaccesskey": "simulated-key", "siteid": SITE_COURSE_ID,
        "sitecalendartype": "gregorian", "usercalendartype": "gregorian",
        "userissiteadmin": user.id == 2, "theme": "boost", "limitconcurrentlogins": 0, "policyagreed": 0,
    }


@handler("core_course_get_categories")
def categories(ctx: Context, args: Args) -> list[JsonObject]:
    counts: dict[int, int] = {}
    for course in ctx.site.courses.values():
        counts[course.categoryid] = counts.get(course.categoryid, 0) + 1
    answer = []
    for c in sorted(ctx.site.categories.values(), key=lambda c: c.sortorder):
        path = c.path or f"/{c.id}"
        answer.append({
            "id": c.id, "name": c.name, "idnumber": c.idnumber, "description": c.description,
            "descriptionformat": 1, "parent": c.parent, "sortorder": c.sortorder, "coursecount": counts.get(c.id, 0),
            "visible": c.visible, "visibleold": c.visible, "timemodified": c.timemodified,
            "depth": path.count("/"), "path": path, "theme": ""})
    return answer


def _customfields(course: Course) -> list[JsonObject]:
    """A number field shows one decimal ("6.0", raw 6); a course without a value shows null."""
    hours, front = course.hours, course.id == SITE_COURSE_ID
    return [
        {"name": "Class hours", "shortname": "hours", "type": "number", "valueraw": _num(hours),
         "value": None if hours is None and front else "" if hours is None else f"{hours:.1f}"},
        {"name": "Training type", "shortname": "training_type", "type": "text",
         "valueraw": course.training_type, "value": course.training_type or None},
    ]


def _course(course: Course) -> JsonObject:
    front = course.id == SITE_COURSE_ID
    answer = {
        "id": course.id, "shortname": course.shortname, "categoryid": course.categoryid,
        "categorysortorder": course.sortorder or course.categoryid * 10000 + course.id, "fullname": course.fullname,
        "displayname": course.fullname, "idnumber": course.idnumber, "summary": course.summary,
        "summaryformat": 0 if front else 1, "format": course.format, "showgrades": 1, "newsitems": 3 if front else 5,
        "startdate": course.startdate, "enddate": course.enddate, "numsections": course.numsections, "maxbytes": 0,
        "showreports": 0, "visible": course.visible, "hiddensections": 1, "groupmode": 0, "groupmodeforce": 0,
        "defaultgroupingid": 0, "timecreated": course.timecreated, "timemodified": course.timemodified,
        "enablecompletion": course.enablecompletion, "completionnotify": 0, "lang": "", "forcetheme": "",
        "courseformatoptions": [{"name": "hiddensections", "value": 1}, {"name": "coursedisplay", "value": 0}],
        "showactivitydates": not front, "showcompletionconditions": None if front else True,
        "customfields": _customfields(course),
    }
    if front:  # the front page's format has one option, and no hidden sections
        del answer["hiddensections"]
        answer["courseformatoptions"] = [{"name": "numsections", "value": course.numsections}]
    return answer


def _site_course(site: Site) -> Course:
    if site.site_course is not None:
        return site.site_course
    return Course(SITE_COURSE_ID, "lab", site.name, "", 0, 0, 0, None, "", format="site", numsections=1,
                  enablecompletion=0, pass_grade=None)


@handler("core_course_get_courses")
def courses(ctx: Context, args: Args) -> list[JsonObject]:
    ids = (args.get("options") or {}).get("ids") or []
    wanted = [int(i) for i in ids] if ids else [SITE_COURSE_ID, *sorted(ctx.site.courses)]
    answer = []
    for courseid in wanted:
        if courseid == SITE_COURSE_ID:
            answer.append(_course(_site_course(ctx.site)))
        elif courseid in ctx.site.courses and ctx.caller.capable:
            answer.append(_course(ctx.site.courses[courseid]))
        elif ids:
            raise not_found()
    return answer


# --- units ---------------------------------------------------------------------------------------


@handler("core_cohort_get_cohorts")
def cohorts(ctx: Context, args: Args) -> list[JsonObject]:
    if not ctx.caller.capable:
        raise SimError("nopermissions",
                       "Sorry, but you do not currently have permissions to do that (View site-wide cohorts).",
                       "core\\exception\\required_capability_exception")
    ids = [int(i) for i in args.get("cohortids") or []] or sorted(ctx.site.cohorts)
    answer = []
    for cohortid in ids:
        cohort = ctx.site.cohorts.get(cohortid)
        if cohort is None:
            raise not_found()
        answer.append({"id": cohort.id, "name": cohort.name, "idnumber": cohort.idnumber,
                       "description": cohort.description, "descriptionformat": 1, "visible": cohort.visible,
                       "theme": "", "customfields": [
                           {"name": shortname.replace("_", " ").capitalize(), "shortname": shortname, "type": "text",
                            "valueraw": value, "value": value} for shortname, value in cohort.customfields.items()]})
    return answer


@handler("core_cohort_get_cohort_members")
def cohort_members(ctx: Context, args: Args) -> list[JsonObject]:
    answer = []
    for cohortid in (int(i) for i in args["cohortids"]):
        cohort = ctx.site.cohorts.get(cohortid)
        if cohort is None:
            raise not_found()
        members = [ctx.site.users[u] for u in cohort.members if not ctx.site.users[u].deleted]
        members.sort(key=lambda u: (u.lastname, u.firstname, u.id))  # Moodle: ORDER BY lastname, firstname
        answer.append({"cohortid": cohortid, "userids": [u.id for u in members]})
    return answer


# --- people --------------------------------------------------------------------------------------


def _custom_fields(site: Site, user: User, display: bool) -> list[JsonObject]:
    fields = []
    for shortname, value in user.profile.items():
        if value == "":
            continue
        item = {"type": "text", "value": value}
        if display:
            item["displayvalue"] = html.escape(value, quote=False)
        item.update({"name": site.profile_field_names.get(shortname, shortname), "shortname": shortname})
        fields.append(item)
    return fields


def _place(user: User) -> JsonObject:
    """Moodle leaves out an empty city or country."""
    return {k: v for k, v in (("city", user.city), ("country", user.country)) if v}


def _user_common(ctx: Context, user: User) -> JsonObject:
    answer = {"id": user.id, "username": user.username, "firstname": user.firstname, "lastname": user.lastname,
              "fullname": user.fullname, "email": user.email, "department": user.department}
    if user.idnumber:
        answer["idnumber"] = user.idnumber
    answer.update({"firstaccess": 0, "lastaccess": 0})
    return answer


def _enrolled_user(ctx: Context, user: User, courseid: int, enrolment: Enrolment,
                   wanted: set[str] | None = None) -> JsonObject:
    if wanted is not None and wanted <= {"id", "fullname", "roles"}:  # the sync's lean read: skip the rest
        lean = {"id": user.id, "fullname": user.fullname}
        lean["roles"] = [{"roleid": ROLE_IDS[enrolment.role], "name": "", "shortname": enrolment.role, "sortorder": 0}]
        return {k: v for k, v in lean.items() if k in wanted}
    answer = _user_common(ctx, user)
    answer["lastcourseaccess"] = 0
    answer.update(_place(user))
    answer.update({"profileimageurlsmall": picture(ctx, "f2"), "profileimageurl": picture(ctx, "f1")})
    custom = _custom_fields(ctx.site, user, display=False)
    if custom:
        answer["customfields"] = custom
    answer["roles"] = [{"roleid": ROLE_IDS[enrolment.role], "name": "", "shortname": enrolment.role, "sortorder": 0}]
    answer["enrolledcourses"] = [  # the user's active enrolments, in course order
        {"id": c.id, "fullname": c.fullname, "shortname": c.shortname} for c in _active_courses(ctx, user.id)]
    return answer


def _active_courses(ctx: Context, userid: int) -> list[Course]:
    now, site = ctx.site.now, ctx.site
    chosen = [site.courses[c] for c in site.user_courses(userid)
              if c in site.courses and site.enrolments[(c, userid)].active_at(now)]
    return sorted(chosen, key=lambda c: (-c.visible, c.sortorder or c.categoryid * 10000 + c.id))


@handler("core_enrol_get_enrolled_users")
def enrolled_users(ctx: Context, args: Args) -> list[JsonObject]:
    courseid = args["courseid"]
    if courseid not in ctx.site.courses and courseid != SITE_COURSE_ID:
        raise not_found()
    if not ctx.caller.capable:
        raise SimError("errorcoursecontextnotvalid",
                       f"You cannot execute functions in the course context (course id:{courseid}). "
                       "The context error message was: Course or activity not accessible.")
    options = {o["name"]: o["value"] for o in args.get("options") or []}
    now = ctx.site.now
    rows = [e for e in ctx.site.course_enrolments(courseid) if not ctx.site.users[e.userid].deleted]
    if str(options.get("onlyactive", "0")) not in ("0", ""):
        rows = [e for e in rows if e.active_at(now)]
    if str(options.get("onlysuspended", "0")) not in ("0", ""):
        rows = [e for e in rows if not e.active_at(now)]
    start = int(options.get("limitfrom") or 0)
    limit = int(options.get("limitnumber") or 0)
    rows = rows[start: start + limit] if limit else rows[start:]
    wanted = [f.strip() for f in str(options.get("userfields", "")).split(",") if f.strip()]
    answer = []
    keep = set(wanted) | {"id", "fullname"} if wanted else None
    for enrolment in rows:
        full = _enrolled_user(ctx, ctx.site.users[enrolment.userid], courseid, enrolment, keep)
        if keep:
            full = {k: v for k, v in full.items() if k in keep}
        answer.append(full)
    return answer


@handler("core_user_get_users_by_field")
def users_by_field(ctx: Context, args: Args) -> list[JsonObject]:
    if not ctx.caller.capable:
        return []
    field, values = args["field"], [str(v) for v in args["values"]]
    if field not in ("id", "idnumber", "username", "email"):
        raise SimError("invalidparameter", "Invalid parameter value detected",
                       "core\\exception\\invalid_parameter_exception")
    index = ctx.site.users_by(field)
    matches = sorted({u.id: u for v in values for u in index.get(v, [])}.values(), key=lambda u: u.id)
    answer = []
    for user in matches:  # a deleted user too (field id): Moodle keeps its row, renamed, without profile data
        item = _user_common(ctx, user)
        item.update({"auth": user.auth, "suspended": user.suspended, "confirmed": True, "lang": user.lang,
                     "theme": "", "timezone": user.timezone, "mailformat": 1, "trackforums": 0})
        item.update(_place(user))
        item.update({"profileimageurlsmall": picture(ctx, "f2"), "profileimageurl": picture(ctx, "f1")})
        custom = _custom_fields(ctx.site, user, display=True)
        if custom:
            item["customfields"] = custom
        if user.id == ctx.caller.userid:  # one's own preferences come along; _lastloaded is when they were read
            item["preferences"] = [{"name": "_lastloaded", "value": ctx.site.now}]
        answer.append(item)
    return answer


# --- completion and grades -----------------------------------------------------------------------

def _enrolled(ctx: Context, courseid: int, userid: int) -> tuple[Course, Enrolment, Progress]:
    """The course, the user's enrolment in it and the user's progress; errors as Moodle gives them."""
    course = ctx.site.courses.get(courseid)
    user = ctx.site.users.get(userid)
    if course is None or user is None or user.deleted:
        raise not_found()
    if not ctx.caller.capable:
        raise SimError("requireloginerror", "Course or activity not accessible.",
                       "core\\exception\\require_login_exception")
    enrolment = ctx.site.enrolments.get((courseid, userid))
    if enrolment is None:
        raise _not_enrolled()
    return course, enrolment, ctx.site.progress.get((courseid, userid)) or Progress()


def _not_enrolled() -> SimError:
    return SimError("usernotenroled", "User is not enrolled in this course", module="completion")


def _requirement(activity: Activity) -> str:
    parts = [f"Viewing the {activity.modname}"] if activity.view else []
    if activity.graded:
        parts.append("Achieving grade")
    if activity.passgrade:
        parts.append("Achieving passing grade")
    return ", ".join(parts)


@handler("core_completion_get_course_completion_status")
def course_completion_status(ctx: Context, args: Args) -> JsonObject:
    """Tracked users only: an enrolment not active now, or a teacher's, is "not enrolled"."""
    course, enrolment, progress = _enrolled(ctx, args["courseid"], args["userid"])
    if not enrolment.tracked_at(ctx.site.now):
        raise _not_enrolled()
    if not course.enablecompletion:
        raise SimError("completionnotenabled", "Completion is not enabled", module="completion")
    completions, criteria = [], ctx.site.met_criteria(course, progress)
    for activity in course.tracked_activities():
        if not activity.criterion:
            continue
        met = criteria.get(activity.cmid)
        completions.append({
            "type": 4, "title": "Activity completion", "status": "No" if met is None else "Yes",
            "complete": met is not None, "timecompleted": met,
            "details": {"type": "Activity completion",
                        "criteria": f'<a href="{ctx.siteurl}/mod/{activity.modname}/view.php?id={activity.cmid}">'
                                    f"{html.escape(activity.name)}</a>",
                        "requirement": _requirement(activity), "status": ""},
        })
    if course.pass_grade is not None:
        met = criteria.get(GRADE_CRITERION)
        shown = "" if progress.grade is None else f"{progress.grade:.2f}"
        completions.append({
            "type": 6, "title": "Course grade", "status": f"{shown or 'No grade'} ({course.pass_grade:.2f} required)",
            "complete": met is not None, "timecompleted": met,
            "details": {"type": "Course grade", "criteria": "Required course grade",
                        "requirement": f"{course.pass_grade:.2f}", "status": shown},
        })
    return {"completionstatus": {"completed": progress.timecompleted is not None, "aggregation": 1,
                                 "completions": completions}, "warnings": []}


def _grade_state(activity: Activity, grade: float | None) -> int:
    """completion_info::get_grade_completion, read live from the grade (not the stored state): none 0,
    passed 2, failed 3 (1, "complete", when the item has no pass grade)."""
    if grade is None:
        return 0
    if not activity.gradepass:
        return 1
    return 2 if grade >= activity.gradepass else 3


def _rules(activity: Activity, state: int, grade: float | None) -> list[JsonObject]:
    """cm_completion_details: each rule's own status. Where a passing grade is required, a failing grade
    still meets "receive a grade" (1) and fails "receive a passing grade" (3)."""
    rules = []
    if activity.view:  # viewed: the view-completed activities here are exactly the viewed ones
        rules.append({"rulename": "completionview", "rulevalue": {"status": 1 if state else 0, "description": "View"}})
    graded = _grade_state(activity, grade)
    if activity.graded:
        status = 1 if activity.passgrade and graded == 3 else graded
        rules.append({"rulename": "completionusegrade", "rulevalue": {"status": status,
                                                                      "description": "Receive a grade"}})
    if activity.passgrade:
        rules.append({"rulename": "completionpassgrade", "rulevalue": {"status": graded,
                                                                       "description": "Receive a passing grade"}})
    return rules


@handler("core_completion_get_activities_completion_status")
def activities_completion_status(ctx: Context, args: Args) -> JsonObject:
    """Answers for any enrolled user; ``istrackeduser`` says whether completion tracks them now."""
    course, enrolment, progress = _enrolled(ctx, args["courseid"], args["userid"])
    tracked = enrolment.tracked_at(ctx.site.now)
    statuses = []
    for activity in course.tracked_activities():
        done = progress.activities.get(activity.cmid)
        state = done.state if done else 0
        statuses.append({
            "cmid": activity.cmid, "modname": activity.modname, "instance": activity.instance, "state": state,
            "timecompleted": done.time if done else 0, "tracking": activity.completion,
            "overrideby": done.overrideby if done else None, "valueused": False, "hascompletion": True,
            "isautomatic": activity.completion == 2, "istrackeduser": tracked, "uservisible": bool(activity.visible),
            "details": _rules(activity, state, progress.grade), "isoverallcomplete": activity.counts_as_complete(state),
        })
    return {"statuses": statuses, "warnings": []}


PASS_ICON = '<i class="icon fa fa-check text-success fa-fw inline"  title="Pass" role="img" aria-label="Pass"></i>'
FAIL_ICON = '<i class="icon fa fa-xmark text-danger fa-fw inline"  title="Fail" role="img" aria-label="Fail"></i>'


def _grade_fields(grade: float | None, grademax: float, gradepass: float, submitted: int | None,
                  graded: int | None) -> JsonObject:
    """The grade of one item: an item with a pass grade shows a pass or fail icon before the grade."""
    shown = "-" if grade is None else f"{grade:.2f}"
    if grade is not None and gradepass:
        shown = (PASS_ICON if grade >= gradepass else FAIL_ICON) + shown
    percent = "-" if grade is None or not grademax else f"{100.0 * grade / grademax:.2f} %"
    return {
        "graderaw": _num(grade), "gradedatesubmitted": submitted if grade is not None else None,
        "gradedategraded": graded if grade is not None else None, "gradehiddenbydate": False,
        "gradeneedsupdate": False, "gradeishidden": False, "gradeislocked": False, "gradeisoverridden": False,
        "gradeformatted": shown, "grademin": 0, "grademax": _num(grademax),
        "rangeformatted": f"0&ndash;{_num(grademax)}", "percentageformatted": percent,
        "feedback": "", "feedbackformat": 0 if grade is None else 2,
    }


def _activity_item(course: Course, activity: Activity, progress: Progress) -> JsonObject:
    """The course total is the one graded activity's grade: the activity carries the same grade."""
    item = {"id": activity.grade_item_id, "itemname": activity.name, "itemtype": "mod",
            "itemmodule": activity.modname, "iteminstance": activity.instance, "itemnumber": 0,
            "idnumber": activity.idnumber or None, "categoryid": course.grade_category_id, "outcomeid": None,
            "scaleid": None, "locked": False, "cmid": activity.cmid}
    if progress.grade is not None:  # "empty grades excluded": an item without a grade has no weight
        item.update({"weightraw": 1, "weightformatted": "100.00 %"})
    # Submission times are not kept: a quiz attempt's grade dates from its submission, so use that.
    item.update(_grade_fields(progress.grade, 100.0, activity.gradepass, progress.graded_at, progress.graded_at))
    return item


def _course_item(course: Course, progress: Progress) -> JsonObject:
    item = {"id": course.grade_item_id, "itemname": None, "itemtype": "course", "itemmodule": None,
            "iteminstance": course.grade_category_id, "itemnumber": None, "idnumber": None, "categoryid": None,
            "outcomeid": None, "scaleid": None, "locked": False}
    item.update(_grade_fields(progress.grade, course.grademax, course.gradepass, progress.grade_created,
                              progress.graded_at))
    return item


@handler("gradereport_user_get_grade_items")
def grade_items(ctx: Context, args: Args) -> JsonObject:
    """The user report: active student enrolments only (a suspended user included), by name."""
    courseid, userid = args["courseid"], args.get("userid") or 0
    course = ctx.site.courses.get(courseid)
    if course is None:
        raise not_found()
    if not ctx.caller.capable:
        raise SimError("requireloginerror", "Course or activity not accessible.",
                       "core\\exception\\require_login_exception")
    now = ctx.site.now
    learners = [ctx.site.users[e.userid] for e in ctx.site.course_enrolments(courseid)
                if e.tracked_at(now) and not ctx.site.users[e.userid].deleted]
    learners.sort(key=lambda u: (u.lastname, u.firstname, u.id))
    if userid:
        learners = [u for u in learners if u.id == userid]
        if not learners:
            raise SimError("notenrolled", "The user is not enrolled in this course")
    graded = [a for a in course.activities if a.grade_item_id]
    usergrades = []
    for user in learners:
        progress = ctx.site.progress.get((courseid, user.id)) or Progress()
        items = [_activity_item(course, a, progress) for a in graded] + [_course_item(course, progress)]
        usergrades.append({"courseid": courseid, "courseidnumber": course.idnumber, "userid": user.id,
                           "userfullname": user.fullname, "useridnumber": user.idnumber, "maxdepth": 2,
                           "gradeitems": items})
    return {"usergrades": usergrades, "warnings": []}


# --- the report builder --------------------------------------------------------------------------

REPORT_HEADERS = {
    "course_idnumber": "Course ID number", "course_shortname": "Course short name", "course_hours": "Class hours",
    "username": "Username", "user_idnumber": "ID number", "cadre_id": "Cadre ID", "unit": "Work unit",
    "enrol_status": "Status", "enrol_timestart": "Time started", "enrol_timeend": "Time ended",
    "completed": "Completed", "time_enrolled": "Time enrolled", "completion_timestarted": "Time started",
    "time_completed": "Time completed", "progress": "Student progress", "grade": "Grade",
    # The Users source (core_reportbuilder\local\entities\user); a profile field column ("profile:<shortname>")
    # is titled with the field's name.
    "fullnamewithlink": "Full name with link", "firstname": "First name", "lastname": "Last name",
    "email": "Email address", "department": "Department", "suspended": "Suspended",
    "user_timemodified": "Time modified",
}
# The report builder's own names of those columns ("entity:column"), as a report's definition holds them.
MOODLE_COLUMNS = {
    "course:idnumber": "course_idnumber", "course:shortname": "course_shortname",
    "course:customfield_hours": "course_hours", "user:username": "username", "user:idnumber": "user_idnumber",
    "user:profilefield_cadre_id": "cadre_id", "user:profilefield_unit": "unit", "enrolment:status": "enrol_status",
    "enrolment:timestarted": "enrol_timestart", "enrolment:timeended": "enrol_timeend",
    "completion:completed": "completed", "completion:timeenrolled": "time_enrolled",
    "completion:timestarted": "completion_timestarted", "completion:timecompleted": "time_completed",
    "completion:progresspercent": "progress", "completion:grade": "grade",
}
PROFILE_COLUMN = "profile:"  # + a profile field's shortname (the Users source's "user:profilefield_<shortname>")
SOURCES = {"participants": "core_course\\reportbuilder\\datasource\\participants",
           "users": "core_user\\reportbuilder\\datasource\\users"}
SOURCE_NAMES = {"participants": "Course participants", "users": "Users"}
CONDITIONS = {"participants": '{"role:archetype_operator":1,"role:archetype_value":"student"}', "users": None}


def _report_details(ctx: Context, report: Report) -> JsonObject:
    admin = ctx.site.users[2]
    return {
        "name": report.name, "source": SOURCES[report.source], "type": 0,
        "uniquerows": False, "conditiondata": CONDITIONS[report.source],
        "settingsdata": None, "contextid": 1, "component": "", "area": "", "itemid": 0, "usercreated": 2,
        "id": report.id, "timecreated": report.timecreated, "timemodified": report.timemodified or report.timecreated,
        "usermodified": 2, "sourcename": SOURCE_NAMES[report.source], "tags": [], "customfields": {"data": []},
        "modifiedby": {"id": 2, "email": admin.email, "idnumber": "", "phone1": "", "phone2": "",
                       "department": "", "institution": "", "fullname": admin.fullname, "identity": admin.email,
                       "profileurl": f"{ctx.siteurl}/user/profile.php?id=2",
                       "profileimageurl": picture(ctx, "f1"), "profileimageurlsmall": picture(ctx, "f2")},
    }


@lru_cache(maxsize=1 << 16)
def _minute(minute: int, tz: str) -> str:
    return display_date(minute * 60, tz)


def _date(timestamp: int | None, tz: str) -> str:
    """A report date: the reader's local time to the minute, empty for none."""
    return _minute(timestamp // 60, tz) if timestamp else ""


def php_s(text: str) -> str:
    """Moodle's s(): htmlspecialchars with ENT_QUOTES (what the user entity's text columns show)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&#039;"))


@dataclass(frozen=True)
class _Row:
    """One report row: a student enrolment, with what the columns read."""

    now: int
    tz: str  # the integration user's (here the site's) time zone
    course: Course
    user: User
    enrolment: Enrolment
    progress: Progress

    def completion(self, read: Callable[[CompletionRecord], str]) -> str:
        """No course_completions row: the completion entity's columns are empty, not "No"."""
        return "" if self.progress.record is None else read(self.progress.record)


def _enrolment_status(row: _Row) -> str:
    if row.enrolment.status:
        return "Suspended"
    return "Active" if row.enrolment.active_at(row.now) else "Not current"


def _progress_percent(row: _Row) -> str:
    """core_completion\\progress, read from the activities (with or without a completion row): 0 for a
    user completion does not track now, 100 once the course is complete, else the share of activities
    complete or passed (a failed one does not count)."""
    course, progress = row.course, row.progress
    if not course.enablecompletion or not row.enrolment.tracked_at(row.now):
        return "0.0%"
    if progress.timecompleted is not None:
        return "100.0%"
    activities = course.tracked_activities()
    done = sum(1 for a in activities if a.cmid in progress.activities and progress.activities[a.cmid].state in (1, 2))
    return f"{100.0 * done / len(activities):.1f}%" if activities else "0.0%"


REPORT_CELLS: dict[str, Callable[[_Row], str]] = {
    "course_idnumber": lambda row: row.course.idnumber,
    "course_shortname": lambda row: row.course.shortname,
    "course_hours": lambda row: "" if row.course.hours is None else f"{row.course.hours:.1f}",
    "username": lambda row: row.user.username,
    "user_idnumber": lambda row: row.user.idnumber,
    "cadre_id": lambda row: row.user.profile.get("cadre_id", ""),
    "unit": lambda row: row.user.profile.get("unit", ""),
    "enrol_status": _enrolment_status,
    # Moodle's enrolment entity: CASE WHEN timestart = 0 THEN timecreated
    "enrol_timestart": lambda row: _date(row.enrolment.timestart or row.enrolment.timecreated, row.tz),
    "enrol_timeend": lambda row: _date(row.enrolment.timeend, row.tz),
    "completed": lambda row: row.completion(lambda record: "Yes" if record.timecompleted else "No"),
    "time_enrolled": lambda row: row.completion(lambda record: _date(record.timeenrolled, row.tz)),
    "completion_timestarted": lambda row: row.completion(lambda record: _date(record.timestarted, row.tz)),
    "time_completed": lambda row: row.completion(lambda record: _date(record.timecompleted, row.tz)),
    "progress": _progress_percent,
    "grade": lambda row: "" if row.progress.grade is None else f"{row.progress.grade:.2f}",
}


def _user_cell(column: str, user: User, siteurl: str, tz: str) -> str:
    """A Users-source cell (core_reportbuilder\\local\\entities\\user): text through s(), booleans as
    Yes/No, times as user dates; a profile field through its display_data() (a text field: escaped)."""
    if column == "fullnamewithlink":  # html_writer::link(new moodle_url('/user/profile.php', ['id' => ...]))
        return f'<a href="{siteurl}/user/profile.php?id={user.id}">{user.fullname}</a>'
    if column == "suspended":
        return "Yes" if user.suspended else "No"
    if column == "user_timemodified":
        return _date(user.timemodified, tz)
    if column.startswith(PROFILE_COLUMN):
        return php_s(user.profile.get(column[len(PROFILE_COLUMN):], ""))
    field = {"user_idnumber": "idnumber"}.get(column, column)
    return php_s(str(getattr(user, field)))


# --- report filters: what core_reportbuilder_set_filters stores and retrieve_report applies ------

DATE_ANY, DATE_NOT_EMPTY, DATE_EMPTY, DATE_RANGE = 0, 1, 2, 3


def php_int(value: object) -> int:
    """PHP's (int) cast of a JSON-decoded value (a number, a numeric string, else 0)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        digits = re.match(r"^\s*[+-]?\d+", value)
        return int(digits.group()) if digits else 0
    return 0


def _date_filter(name: str, values: dict[str, Any]) -> Callable[[int | None], bool] | None:
    """core_reportbuilder\\local\\filters\\date::get_sql_filter; None when it adds no condition. SQL
    compares NULL as unknown: a row without the value fails every comparison."""
    operator = php_int(values.get(f"{name}_operator", DATE_ANY))
    if operator == DATE_NOT_EMPTY:
        return lambda v: v is not None and v != 0
    if operator == DATE_EMPTY:
        return lambda v: v is None or v == 0
    if operator == DATE_RANGE:
        low, high = php_int(values.get(f"{name}_from", 0)), php_int(values.get(f"{name}_to", 0))
        if low <= 0 and high <= 0:
            return None  # no clause: the filter does not apply
        return lambda v: v is not None and (low <= 0 or v >= low) and (high <= 0 or v < high)
    if operator in (4, 5, 6):  # last / current / next: relative to the clock; the sync never sets them
        raise NotImplementedError(f"date filter operator {operator} is not simulated")
    return None


def _course_filter(name: str, values: dict[str, Any]) -> Callable[[int | None], bool] | None:
    """core_reportbuilder\\local\\filters\\course_selector: course id IN (the values); none: no condition."""
    chosen = values.get(f"{name}_values") or []
    chosen = chosen if isinstance(chosen, list) else [chosen]
    if not chosen:
        return None
    wanted = {str(v) for v in chosen}
    return lambda v: str(v) in wanted


# Each filter the simulator knows: its kind and the value it compares, from a participants row or a user.
FILTERS: dict[str, tuple[Callable[[str, dict[str, Any]], Callable[[Any], bool] | None], Callable[[Any], Any]]] = {
    "course:courseselector": (_course_filter, lambda row: row.course.id),
    "completion:timecompleted": (
        _date_filter, lambda row: row.progress.record.timecompleted if row.progress.record else None),
    "enrolment:timecreated": (_date_filter, lambda row: row.enrolment.timecreated),
    "user:timemodified": (_date_filter, lambda user: user.timemodified),
}


def _applied_filters(ctx: Context, report: Report) -> list[Callable[[Any], bool]]:
    """The report's filters the caller's stored values turn on (base_report_table::init_sql: only the
    report's own filters, each adding its WHERE clause; values for other filters are ignored)."""
    values = ctx.site.filter_values.get((ctx.caller.userid, report.id), {})
    tests: list[Callable[[Any], bool]] = []
    for name in report.filters:
        make, read = FILTERS[name]
        test = make(name, values)
        if test is not None:
            tests.append(partial(_passes, test, read))
    return tests


def _passes(test: Callable[[Any], bool], read: Callable[[Any], Any], item: Any) -> bool:
    return test(read(item))


_REPORT_CACHE: dict[tuple[Any, ...], Any] = {}


def _cached(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """One answer per report and site revision (Moodle re-runs the query for every page, the simulator
    need not); a province report is large, so only the latest few are kept."""
    if key not in _REPORT_CACHE:
        if len(_REPORT_CACHE) >= 3:
            _REPORT_CACHE.pop(next(iter(_REPORT_CACHE)))
        _REPORT_CACHE[key] = build()
    return _REPORT_CACHE[key]


def report_items(ctx: Context, report: Report) -> list[Any]:
    """The report's rows before formatting, in its sort order: student enrolments (suspended and expired
    too) by course ID number then user ID number; or users (not the guest, not deleted) by username."""
    items: list[Any] = _cached(("items", id(ctx.site), report.id, report.source, ctx.site.revision, ctx.site.now),
                               lambda: _report_items(ctx, report))
    return items


def _report_items(ctx: Context, report: Report) -> list[Any]:
    site = ctx.site
    if report.source == "users":  # core_user\reportbuilder\datasource\users: id != siteguest AND deleted = 0
        return sorted((u for u in site.users.values() if u.id != 1 and not u.deleted), key=lambda u: u.username)
    keyed = []
    for (courseid, userid), enrolment in site.enrolments.items():
        user = site.users[userid]
        if enrolment.role != "student" or user.deleted or courseid not in site.courses:
            continue
        course = site.courses[courseid]
        keyed.append(((course.idnumber, user.idnumber, userid), course, user, enrolment))
    keyed.sort(key=lambda row: row[0])
    return [_Row(site.now, site.timezone, course, user, enrolment,
                 site.progress.get((course.id, user.id)) or Progress()) for _key, course, user, enrolment in keyed]


def _format(ctx: Context, report: Report, items: list[Any]) -> list[list[str]]:
    if report.source == "users":
        return [[_user_cell(c, user, ctx.siteurl, ctx.site.timezone) for c in report.columns] for user in items]
    cells = [REPORT_CELLS[column] for column in report.columns]
    return [[cell(row) for cell in cells] for row in items]


def report_rows(ctx: Context, report: Report) -> list[list[str]]:
    """The report as the caller sees it: every row, through the caller's filter values."""
    tests = _applied_filters(ctx, report)
    values = ctx.site.filter_values.get((ctx.caller.userid, report.id), {})
    key = ("rows", id(ctx.site), report.id, ctx.site.revision, ctx.site.now, json.dumps(values, sort_keys=True)
           if tests else None)

    def build() -> list[list[str]]:
        items = report_items(ctx, report)
        if tests:
            items = [item for item in items if all(test(item) for test in tests)]
        return _format(ctx, report, items)

    rows: list[list[str]] = _cached(key, build)
    return rows


def report_scanned_rows(ctx: Context, report: Report) -> int | None:
    """The unfiltered report's size when the caller's filters narrow it (what the latency model
    prices a filtered query against), None when no filter applies."""
    return len(report_items(ctx, report)) if _applied_filters(ctx, report) else None


def _headers(ctx: Context, report: Report) -> list[str]:
    def header(column: str) -> str:
        if column in report.headings:
            return report.headings[column]
        if column.startswith(PROFILE_COLUMN):
            shortname = column[len(PROFILE_COLUMN):]
            return ctx.site.profile_field_names.get(shortname, shortname)
        return REPORT_HEADERS[column]

    return [header(c) for c in report.columns]


def _viewable_report(ctx: Context, reportid: int) -> Report:
    report = ctx.site.reports.get(reportid)
    if report is None:
        raise not_found()
    if not ctx.caller.capable:
        raise SimError("errorreportview", "You cannot view this report",
                       "core_reportbuilder\\exception\\report_access_exception")
    return report


@handler("core_reportbuilder_list_reports")
def list_reports(ctx: Context, args: Args) -> JsonObject:
    reports = sorted(ctx.site.reports.values(), key=lambda r: r.id) if ctx.caller.capable else []
    page, perpage = args.get("page") or 0, args.get("perpage") or 10
    chosen = reports[page * perpage: (page + 1) * perpage]
    return {"reports": [_report_details(ctx, r) for r in chosen], "warnings": []}


@handler("core_reportbuilder_retrieve_report")
def retrieve_report(ctx: Context, args: Args) -> JsonObject:
    report = _viewable_report(ctx, args["reportid"])
    page, perpage = args.get("page") or 0, args.get("perpage") or 10
    rows = report_rows(ctx, report)
    chosen = rows[page * perpage: (page + 1) * perpage]
    return {"details": _report_details(ctx, report),
            "data": {"headers": _headers(ctx, report),
                     "rows": [{"columns": r} for r in chosen], "totalrowcount": len(rows)},
            "warnings": []}


def _json_array(text: str) -> dict[str, Any]:
    """PHP's (array) json_decode($text): an object's keys; anything else (a list, invalid JSON) as PHP
    would cast it (a list by position, null to nothing)."""
    try:
        decoded = json.loads(text) if text else None
    except ValueError:
        decoded = None
    if isinstance(decoded, dict):
        return decoded
    if isinstance(decoded, list):
        return {str(i): v for i, v in enumerate(decoded)}
    return {} if decoded is None else {"scalar": decoded}


@handler("core_reportbuilder_set_filters")
def set_filters(ctx: Context, args: Args) -> bool:
    """reportbuilder/classes/external/filters/set.php: the report must be viewable; the values replace
    the caller's previous ones for this report (user_filter_manager::set, a user preference)."""
    report = _viewable_report(ctx, args["reportid"])
    ctx.site.filter_values[(ctx.caller.userid, report.id)] = _json_array(args["values"])
    return True


@handler("core_reportbuilder_filters_reset")
def filters_reset(ctx: Context, args: Args) -> bool:
    """reportbuilder/classes/external/filters/reset.php: the caller's values for the report are removed
    (the report must exist; unlike set, no check that the caller may view it)."""
    if args["reportid"] not in ctx.site.reports:
        raise not_found()
    ctx.site.filter_values.pop((ctx.caller.userid, args["reportid"]), None)
    return True


# --- writes --------------------------------------------------------------------------------------


@handler("enrol_manual_enrol_users")
def enrol_users(ctx: Context, args: Args) -> None:
    for item in args["enrolments"]:
        courseid, userid = item["courseid"], item["userid"]
        if courseid not in ctx.site.courses or userid not in ctx.site.users or ctx.site.users[userid].deleted:
            raise not_found()
        if item["roleid"] != ROLE_IDS["student"]:
            raise SimError("wscannotenrol", "Manual plugin instance cannot enrol a user with this role")
        ctx.site.enrol(courseid, userid, "student", item.get("timestart") or 0, item.get("timeend") or 0)
        if item.get("suspend"):
            ctx.site.suspend_enrolment(courseid, userid)
    return None


# core_message_send_instant_messages and core_message_get_member_info: see messaging.py.


@handler("core_user_update_users")
def update_users(ctx: Context, args: Args) -> JsonObject:
    for item in args["users"]:
        user = ctx.site.users.get(item["id"])
        if user is None or user.deleted:
            raise not_found()
        for key in ("firstname", "lastname", "email", "idnumber", "department"):
            if key in item:
                setattr(user, key, item[key])
        for field in item.get("customfields") or []:  # on update "type" holds the shortname
            if field["type"] in ctx.site.profile_field_names:  # an unknown field is silently ignored
                user.profile[field["type"]] = field["value"]
        user.timemodified = ctx.site.now  # user_update_user()
        ctx.site.revision += 1
    return {"warnings": []}


# --- the batch endpoint ------------------------------------------------------------------------

BATCH = "tool_mobile_call_external_functions"


def inner_exception(error: SimError, siteurl: str, debug: bool) -> str:
    body = {"message": error.message, "errorcode": error.errorcode, "link": f"{siteurl}/",
            "moreinfourl": f"https://docs.moodle.org/501/en/error/{error.module}/{error.errorcode}"}
    if debug and error.debuginfo:
        body["debuginfo"] = error.debuginfo
    return php_json(body)


# Handlers kept in their own modules register themselves when imported (after everything above).
from . import calendar, feedback, messaging  # noqa: E402, F401

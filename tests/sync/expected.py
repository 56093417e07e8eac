"""What the mirror must hold for a simulated site, computed from the simulator's own data.

Independent of the sync's code on purpose: it reads the simulator's dataclasses directly.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from moodle_bridge.simulator.data import Site
from moodle_bridge.store.schema import MIRROR_TABLES

IGNORED = {"gone_at", "gone_reason", "road", "timemodified"}


def _students(site: Site, road: str):
    for (courseid, userid), enrolment in sorted(site.enrolments.items()):
        user = site.users[userid]
        if enrolment.role != "student" or user.deleted or courseid not in site.courses:
            continue
        if road == "report" and not user.idnumber:
            continue  # the report keys rows by user ID number: such rows cannot be placed
        yield courseid, userid, enrolment


def _minute(timestamp: int) -> int | None:
    return timestamp - timestamp % 60 if timestamp else None


def expected(site: Site, road: str, enrolment_times: bool = False,
             activities: bool = False, report_grades: bool = False,
             profiles_report: bool = False) -> dict[str, dict[Any, dict[str, Any]]]:
    """``enrolment_times``: the road reads enrolment start and end (the recommended report);
    ``activities``: activity completions are synced (features.activity_completions);
    ``report_grades``: grades come from the report's Grade column (every enrolment, no range or date);
    ``profiles_report``: users come from the profiles report, which has no Language column (no language known)."""
    students = list(_students(site, road))
    members = {(c.id, u) for c in site.cohorts.values() for u in c.members if not site.users[u].deleted}
    in_scope = {u for _c, u in members} | {u for _c, u, _e in students}
    result: dict[str, dict] = {
        "categories": {c.id: {"id": c.id, "name": c.name, "idnumber": c.idnumber, "parent": c.parent,
                              "path": f"/{c.id}", "visible": bool(c.visible)} for c in site.categories.values()},
        "courses": {c.id: {"id": c.id, "shortname": c.shortname, "fullname": c.fullname, "idnumber": c.idnumber,
                           "categoryid": c.categoryid, "visible": bool(c.visible), "startdate": c.startdate,
                           "enddate": c.enddate, "completion_enabled": bool(c.enablecompletion),
                           "hours": c.hours, "training_type": c.training_type} for c in site.courses.values()},
        "cohorts": {c.id: {"id": c.id, "name": c.name, "idnumber": c.idnumber, "visible": c.visible,
                           "customfields": dict(c.customfields) or None} for c in site.cohorts.values()},
        "cohort_members": {m: {"cohort_id": m[0], "user_id": m[1]} for m in members},
        "users": {},
        "enrolments": {},
        "completions": {},
        "grades": {},
        "activity_completions": {},
    }
    for userid in in_scope:
        user = site.users[userid]
        profile = {k: v for k, v in user.profile.items() if v}
        result["users"][userid] = {"id": userid, "username": user.username, "idnumber": user.idnumber or None,
                                   "firstname": user.firstname, "lastname": user.lastname, "email": user.email,
                                   "department": user.department or None, "suspended": user.suspended,
                                   "cadre_id": profile.get("cadre_id"), "profile": profile,
                                   "lang": None if profiles_report else user.lang}
    for courseid, userid, enrolment in students:
        active = enrolment.active_at(site.now)
        started = enrolment.timestart or enrolment.timecreated
        result["enrolments"][(courseid, userid)] = {"course_id": courseid, "user_id": userid,
                                                    "status": "active" if active else "inactive",
                                                    "timestart": _minute(started) if enrolment_times else None,
                                                    "timeend": _minute(enrolment.timeend) if enrolment_times else None}
        progress = site.progress.get((courseid, userid))
        completed_at = progress.timecompleted if progress else None
        if completed_at and site.courses[courseid].enablecompletion and (road == "report" or active):
            minute = road == "report"
            result["completions"][(courseid, userid)] = {
                "course_id": courseid, "user_id": userid,
                "time_completed": completed_at - completed_at % 60 if minute else completed_at,
                "precision": "minute" if minute else "second"}
        if activities and active and site.courses[courseid].enablecompletion and progress:
            for activity in site.courses[courseid].activities:
                done = progress.activities.get(activity.cmid)
                if activity.completion and done and done.state:
                    result["activity_completions"][(courseid, userid, activity.cmid)] = {
                        "course_id": courseid, "user_id": userid, "cmid": activity.cmid,
                        "modname": activity.modname, "state": done.state, "time_completed": done.time}
        if (active or report_grades) and progress and progress.grade is not None:  # no grade: no row
            grade = progress.grade
            result["grades"][(courseid, userid)] = {
                "course_id": courseid, "user_id": userid, "grade": grade,
                "grademax": None if report_grades else 100.0,
                "graded_at": None if report_grades else progress.graded_at}
    return result


def mirrored(engine: sa.Engine) -> dict[str, dict[Any, dict[str, Any]]]:
    """The mirror's present rows (gone ones left out), keyed like ``expected``."""
    result = {}
    with engine.connect() as connection:
        for name, table in MIRROR_TABLES.items():
            keys = [c.name for c in table.primary_key.columns]
            rows = {}
            for r in connection.execute(sa.select(table).where(table.c.gone_at.is_(None))):
                row = {k: v for k, v in r._mapping.items() if k not in IGNORED}
                rows[row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)] = row
            result[name] = rows
    return result


def differences(want: dict, have: dict, tables=None) -> list[str]:
    problems = []
    for name in tables or want:
        missing = set(want[name]) - set(have[name])
        extra = set(have[name]) - set(want[name])
        if missing:
            problems.append(f"{name}: {len(missing)} missing, e.g. {sorted(missing, key=str)[:3]}")
        if extra:
            problems.append(f"{name}: {len(extra)} extra, e.g. {sorted(extra, key=str)[:3]}")
        wrong = [k for k in set(want[name]) & set(have[name]) if want[name][k] != have[name][k]]
        if wrong:
            k = sorted(wrong, key=str)[0]
            problems.append(f"{name}: {len(wrong)} differ, e.g. {k}: want {want[name][k]} have {have[name][k]}")
    return problems

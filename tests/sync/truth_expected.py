"""What the mirror must hold for a recorded real site, read straight from its truth.json.

Independent of the simulator and of the sync on purpose: it reads Moodle's own tables (the
recordings' README says what each column means) and states, per road, what that road can see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SITE = Path(__file__).resolve().parents[2].parent / "shared" / "moodle" / "sites" / "small"
SNAPSHOTS = ("snapshot-a", "snapshot-b")

Rows = dict[Any, dict[str, Any]]


@dataclass(frozen=True)
class Road:
    """A way of reading completions, and what it therefore sees."""

    name: str  # report, batch, per_enrolment
    report_id: int | None = None
    enrolment_times: bool = False  # the report has Status, Time started, Time ended
    report_grades: bool = False  # the report has the course Grade column

    @property
    def label(self) -> str:
        return f"report{self.report_id}" if self.report_id else self.name


# The four recorded reports (README "The custom reports") and the two API roads.
ROADS = [
    Road("report", 1, enrolment_times=True, report_grades=True),
    Road("report", 2),
    Road("report", 3, enrolment_times=True),
    Road("report", 4, enrolment_times=True, report_grades=True),
    Road("batch"),
    Road("per_enrolment"),
]


def tables(snapshot: str) -> dict[str, Any]:
    truth = json.loads((SITE / snapshot / "truth.json").read_text(encoding="utf-8"))
    result: dict[str, Any] = {"recorded_at": truth["recorded_at"], "counts": truth["counts"]}
    for name, table in truth.items():
        if isinstance(table, dict) and "header" in table:
            result[name] = [dict(zip(table["header"], row, strict=False)) for row in table["rows"]]
    result["user_langs"] = user_langs(snapshot)
    return result


def user_langs(snapshot: str) -> dict[int, str]:
    """Each user's language (user.lang), which truth.json does not hold: as the snapshot's recorded
    core_user_get_users_by_field answers give it."""
    langs: dict[int, str] = {}
    for path in sorted((SITE / snapshot / "calls").glob("core_user_get_users_by_field__*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            answer = json.loads(line)["response"]
            if isinstance(answer, list):
                langs.update({u["id"]: u["lang"] for u in answer})
    return langs


def _blank(value: Any) -> Any:
    return None if value in ("", None) else value


def _minute(timestamp: int) -> int | None:
    return timestamp - timestamp % 60 if timestamp else None


def active(enrolment: dict[str, Any], now: int) -> bool:
    """Moodle's active enrolment: not suspended, started, not ended (the user's own state aside)."""
    return (enrolment["status"] == 0 and enrolment["timestart"] <= now
            and (enrolment["timeend"] == 0 or enrolment["timeend"] > now))


def expected(t: dict[str, Any], road: Road, profiles_report: bool = False) -> dict[str, Rows]:
    """The mirror after a full sync by ``road``, table by table (gone rows left out). ``profiles_report``: the
    users come from a profiles report without a Language column, so their language is not known."""
    now = t["recorded_at"]
    users = {u["id"]: u for u in t["users"]}
    live = {i for i, u in users.items() if not u["deleted"]}
    students = {(e["courseid"], e["userid"]): e for e in t["enrolments"]
                if e["roles"] == "student" and e["userid"] in live}
    members = {(m["cohortid"], m["userid"]) for m in t["cohort_members"] if m["userid"] in live}
    in_scope = {u for _c, u in members} | {u for _c, u in students}
    sees = (lambda key: True) if road.name == "report" else (lambda key: active(students[key], now))
    grade_sees = (lambda key: True) if road.report_grades else (lambda key: active(students[key], now))
    return {
        "categories": {c["id"]: {"id": c["id"], "name": c["name"], "idnumber": _blank(c["idnumber"]),
                                 "parent": c["parent"], "path": c["path"], "visible": bool(c["visible"])}
                       for c in t["categories"]},
        "courses": {c["id"]: {"id": c["id"], "shortname": c["shortname"], "fullname": c["fullname"],
                              "idnumber": _blank(c["idnumber"]), "categoryid": c["category"],
                              "visible": bool(c["visible"]), "startdate": c["startdate"], "enddate": c["enddate"],
                              "completion_enabled": bool(c["enablecompletion"]),
                              "hours": None if _blank(c["hours"]) is None else float(c["hours"]),
                              "training_type": _blank(c["training_type"])}
                    for c in t["courses"] if c["id"] != 1},
        "cohorts": {c["id"]: {"id": c["id"], "name": c["name"], "idnumber": _blank(c["idnumber"]),
                              "visible": bool(c["visible"])} for c in t["cohorts"]},
        "cohort_members": {m: {"cohort_id": m[0], "user_id": m[1]} for m in members},
        "users": {i: {**_user(users[i]), "lang": None if profiles_report else t["user_langs"][i]} for i in in_scope},
        "enrolments": {k: {"course_id": k[0], "user_id": k[1],
                           "status": "active" if active(e, now) else "inactive",
                           "timestart": _minute(e["timestart"] or e["timecreated"]) if road.enrolment_times else None,
                           "timeend": _minute(e["timeend"]) if road.enrolment_times else None}
                       for k, e in students.items()},
        "completions": {(c["course"], c["userid"]): _completion(c, road) for c in t["course_completions"]
                        if c["timecompleted"] and (c["course"], c["userid"]) in students
                        and sees((c["course"], c["userid"]))},
        "grades": {(g["courseid"], g["userid"]): _grade(g, road) for g in t["course_grades"]
                   if g["finalgrade"] is not None and (g["courseid"], g["userid"]) in students
                   and grade_sees((g["courseid"], g["userid"]))},
    }


def _user(u: dict[str, Any]) -> dict[str, Any]:
    profile = {k: u[k] for k in ("cadre_id", "unit", "rank", "category") if _blank(u[k]) is not None}
    return {"id": u["id"], "username": u["username"], "idnumber": _blank(u["idnumber"]), "firstname": u["firstname"],
            "lastname": u["lastname"], "email": u["email"], "department": _blank(u["department"]),
            "suspended": bool(u["suspended"]), "cadre_id": profile.get("cadre_id"), "profile": profile}


def _completion(c: dict[str, Any], road: Road) -> dict[str, Any]:
    minute = road.name == "report"  # display dates: to the minute
    return {"course_id": c["course"], "user_id": c["userid"],
            "time_completed": _minute(c["timecompleted"]) if minute else c["timecompleted"],
            "precision": "minute" if minute else "second"}


def _grade(g: dict[str, Any], road: Road) -> dict[str, Any]:
    row = {"course_id": g["courseid"], "user_id": g["userid"], "grade": g["finalgrade"]}
    if not road.report_grades:  # the grade report also gives the range
        row["grademax"] = g["item_grademax"]
    return row


def inactive_student_enrolments(t: dict[str, Any]) -> int:
    live = {u["id"] for u in t["users"] if not u["deleted"]}
    return sum(1 for e in t["enrolments"] if e["roles"] == "student" and e["userid"] in live
               and not active(e, t["recorded_at"]))

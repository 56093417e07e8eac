"""Every answer the recorded real site gave reads: the client's models and the sync's parsers.

Odd real data found in the recordings, each a case here: empty "Completed" and "Time completed"
cells (no completion record), empty "Time ended" cells, enrolments that are "Not current", an
empty Grade cell, grades like "70.00", HTML in activity grades, users without custom fields or
an ID number (the site's own accounts, a deleted user), course totals without a grade (null),
usernotenroled for inactive enrolments and teachers, and batches that stop at a failing call.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from moodle_bridge.moodle import FUNCTIONS, MoodleError, UserNotEnrolled, parse_response
from moodle_bridge.moodle.errors import api_error
from moodle_bridge.sync import report as report_rows
from moodle_bridge.sync.rows import grade_row, looks_deleted, user_row
from tests.sync.truth_expected import SITE, SNAPSHOTS, tables

if not SITE.is_dir():
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise RuntimeError(f"the recorded site is missing: {SITE}")
    pytest.skip(f"the recorded site is not here: {SITE}", allow_module_level=True)


def _calls(snapshot: str, name: str) -> list[dict]:
    path = SITE / snapshot / "calls" / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _files(snapshot: str) -> list[Path]:
    return sorted((SITE / snapshot / "calls").glob("*.jsonl"))


@pytest.mark.parametrize("snapshot", SNAPSHOTS)
def test_every_recorded_answer_parses_or_is_a_typed_error(snapshot):
    seen: Counter = Counter()
    for path in _files(snapshot):
        for call in (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()):
            function, response = call["function"], call["response"]
            assert function in FUNCTIONS, function
            if isinstance(response, dict) and "errorcode" in response:
                error = api_error(function, response)
                assert isinstance(error, MoodleError) and type(error) is not MoodleError
                seen[f"error {response['errorcode']}"] += 1
            else:
                parse_response(function, response)
                seen["answers"] += 1
    index = json.loads((SITE / snapshot / "calls" / "INDEX.json").read_text())
    assert sum(seen.values()) == sum(entry["calls"] for entry in index)
    assert seen["error usernotenroled"] > 100  # inactive enrolments and teachers: a typed UserNotEnrolled
    assert isinstance(api_error("f", {"errorcode": "usernotenroled", "message": "x"}), UserNotEnrolled)


@pytest.mark.parametrize("snapshot", SNAPSHOTS)
@pytest.mark.parametrize("report_id", [1, 2, 3, 4])
def test_every_recorded_report_row_reads(snapshot, report_id):
    truth = tables(snapshot)
    for perpage in (500, 5000):
        pages = _calls(snapshot, f"core_reportbuilder_retrieve_report__{report_id}__perpage_{perpage}")
        answers = [parse_response("core_reportbuilder_retrieve_report", p["response"]) for p in pages]
        where = report_rows.layout(answers[0].data.headers)
        rows = [report_rows.parse_row(r.columns, where, "Asia/Shanghai") for a in answers for r in a.data.rows]
        assert len(rows) == answers[0].data.totalrowcount
        without_record = {(w["courseid"], w["userid"]) for w in truth["enrolments_without_completion_row"]
                          if w["roles"] == "student"}
        empty = [row for a in answers for row in a.data.rows if row.columns[where.positions["completed"]] == ""]
        assert len(empty) == len(without_record) > 0  # empty Completed: exactly the enrolments with no record
        completed = {(row.course_idnumber, row.user_idnumber) for row in rows if row.completed}
        assert len(completed) == sum(1 for c in truth["course_completions"] if c["timecompleted"]
                                     and _student(truth, c["course"], c["userid"]))
        if where.has("grade"):
            graded = [row.grade for row in rows if row.grade is not None]
            assert len(graded) == sum(1 for g in truth["course_grades"] if _student(truth, g["courseid"], g["userid"]))
        if where.has("enrol_status"):
            assert {row.status for row in rows} == {"active", "inactive"}


def _student(truth, course_id: int, user_id: int) -> bool:
    users = {u["id"]: u for u in truth["users"]}
    return any(e["courseid"] == course_id and e["userid"] == user_id and e["roles"] == "student"
               and not users[user_id]["deleted"] for e in truth["enrolments"])


@pytest.mark.parametrize("snapshot", SNAPSHOTS)
def test_recorded_users_and_grades_become_rows(snapshot):
    users = [u for call in _calls(snapshot, "core_user_get_users_by_field__id")
             for u in parse_response("core_user_get_users_by_field", call["response"])]
    rows = {u.id: user_row(u, "cadre_id") for u in users}
    assert rows[2]["cadre_id"] is None and rows[2]["profile"] == {}  # the admin: no custom fields at all
    deleted = [u.id for u in users if looks_deleted(u)]
    assert deleted == ([10] if snapshot == "snapshot-b" else [])  # 10 cd260003, deleted between the snapshots
    reports = [parse_response("gradereport_user_get_grade_items", c["response"])
               for c in _calls(snapshot, "gradereport_user_get_grade_items")]
    learners = [g for r in reports for g in r.usergrades]
    ungraded = [g for g in learners if grade_row(g) is None]
    assert learners and 0 < len(ungraded) < len(learners)  # null course totals: no grade row, not a crash


def test_the_readmes_report_columns_are_the_recorded_report_4_and_give_the_sync_everything():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("9. **The completions report**"):readme.index("10. **The profiles report**")]
    headers = [line.split("|")[2].strip() for line in section.splitlines() if line.strip().startswith("| *")]
    recorded = _calls("snapshot-a", "core_reportbuilder_retrieve_report__4__perpage_5000")[0]
    assert headers == recorded["response"]["data"]["headers"]
    assert set(report_rows.layout(headers).positions) == set(report_rows.HEADERS)  # every role the sync reads


def test_the_readmes_profiles_report_columns_are_those_the_sync_reads():
    """No site was recorded with a Users-source report: the README's headings against the parser."""
    from moodle_bridge.sync import profiles

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("10. **The profiles report**"):readme.index("Then run `moodle-bridge doctor`")]
    headings = [line.split("|")[2].strip() for line in section.splitlines() if line.strip().startswith("| *User")]
    named = [h.split(" (")[0] for h in headings[:len(profiles.HEADERS)]]
    assert named == list(profiles.HEADERS.values())
    shortnames = ["cadre_id", "unit", "rank", "category"]
    fields_row = next(line for line in section.splitlines() if line.startswith("   | each profile field"))
    assert all(f"`{name}`" in fields_row for name in shortnames)
    assert set(profiles.layout([*named, *shortnames], "cadre_id").fields) == set(shortnames)

"""The simulator serves a whole recorded real Moodle 5.1 site.

For both snapshots of the recorded site (``shared/moodle/sites/small`` beside the clone), the simulator
is loaded from the snapshot's truth.json and every recorded call is replayed with its very form fields:
the HTTP status and the answer must be the same, key for key and value for value, except for the few
values listed in EXCUSED (they cannot come from truth.json, or depend on the moment).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from moodle_bridge.simulator.server import SimulatedMoodle
from moodle_bridge.simulator.truth import load_site
from tests.conftest import IN_CI

SITE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "moodle" / "sites" / "small"
SNAPSHOTS = ["snapshot-a", "snapshot-b"]
TOKEN = "simulated-token"
SITEURL = "http://127.0.0.1:8080"  # as recorded
BATCH = "tool_mobile_call_external_functions"
REDACTED = {"wstoken": "REDACTED-TOKEN", "userprivateaccesskey": "REDACTED-KEY"}

IGNORE, UNORDERED = "ignore", "unordered"  # or a regex: the parts it matches are not compared

# Values the simulator cannot take from truth.json, or that depend on the moment. A path is a regex over
# the JSON path of a value, list positions written "[]"; function "*" is any function.
EXCUSED: list[tuple[str, str, str, str]] = [
    ("*", r".*(profileimageurl|profileimageurlsmall|userpictureurl)", r"/core/\d+/",
     "the theme revision in picture URLs (setting themerev) is not in truth.json"),
    ("core_webservice_get_site_info", r"functions", IGNORE,
     "the service's functions and their order are site configuration, not in truth.json"),
    ("core_webservice_get_site_info", r"advancedfeatures", IGNORE, "site settings, not in truth.json"),
    ("core_course_get_categories", r"\[\]\.description", IGNORE, "categories' descriptions are not in truth.json"),
    ("core_course_get_categories", r"\[\]\.timemodified", IGNORE, "categories' times are not in truth.json"),
    ("core_course_get_courses", r"", UNORDERED,
     "Moodle reads the courses without ORDER BY: their order is the database's, not in truth.json"),
    ("core_course_get_courses", r"\[\]\.summary", IGNORE, "courses' summaries are not in truth.json"),
    ("core_course_get_courses", r"\[\]\.timecreated", IGNORE, "courses' creation times are not in truth.json"),
    ("core_course_get_courses", r"\[\]\.numsections", IGNORE, "courses' section counts are not in truth.json"),
    ("core_cohort_get_cohorts", r"\[\]\.description", IGNORE, "cohorts' descriptions are not in truth.json"),
    ("*", r"\[\]\.(city|country)", IGNORE, "users' city and country are not in truth.json"),
    ("core_user_get_users_by_field", r"\[\]\.timezone", IGNORE, "users' time zones are not in truth.json"),
    ("core_user_get_users_by_field", r"\[\]\.lastaccess", IGNORE,
     "users' last access (the administrator's, who made snapshot-b's changes) is not in truth.json"),
    ("core_user_get_users_by_field", r"\[\]\.preferences", IGNORE,
     "the calling user's own preferences: not in truth.json, and _lastloaded is the moment of the call"),
    ("core_completion_get_course_completion_status", r"completionstatus\.completions\[\]\.details\.criteria",
     r">[^<]*</a>$", "ungraded activities' names are not in truth.json (graded ones are, from grade_items)"),
    ("gradereport_user_get_grade_items", r"usergrades\[\]\.gradeitems\[\]\.gradedatesubmitted", IGNORE,
     "grade_grades.timecreated and the activities' submission times are not in truth.json"),
    ("core_reportbuilder_retrieve_report", r"details\.(timecreated|timemodified)", IGNORE,
     "the reports' creation and change times are not in truth.json"),
]


class Excuses:
    """The EXCUSED rules of one function, looked up by path (each path once)."""

    def __init__(self, rules: list[tuple[str, str]]) -> None:
        self.rules = [(re.compile(path), how) for path, how in rules]
        self.known: dict[str, str | None] = {}

    def how(self, path: str) -> str | None:
        if path not in self.known:
            self.known[path] = next((how for pattern, how in self.rules if pattern.fullmatch(path)), None)
        return self.known[path]


def _excuses(function: str) -> Excuses:
    return Excuses([(path, how) for name, path, how, _reason in EXCUSED if name in ("*", function)])


def differences(recorded: Any, simulated: Any, excuses: Excuses, path: str = "", where: str = "$") -> list[str]:
    """Where the two answers differ, key for key and value for value (types too: 1 is not 1.0 nor true)."""
    how = excuses.how(path)
    if how == IGNORE:
        return []
    if how == UNORDERED and isinstance(recorded, list) and isinstance(simulated, list):
        recorded, simulated = (sorted(x, key=lambda v: json.dumps(v, sort_keys=True)) for x in (recorded, simulated))
    if isinstance(recorded, dict) and isinstance(simulated, dict):
        compared = [k for k in recorded if excuses.how(_join(path, k)) != IGNORE]
        problems = []
        if compared != [k for k in simulated if excuses.how(_join(path, k)) != IGNORE]:
            problems.append(f"{where}: keys {list(recorded)} recorded, {list(simulated)} simulated")
        for key in compared:
            if key in simulated:
                problems += differences(recorded[key], simulated[key], excuses, _join(path, key), f"{where}.{key}")
        return problems
    if isinstance(recorded, list) and isinstance(simulated, list):
        problems = [] if len(recorded) == len(simulated) else [
            f"{where}: {len(recorded)} items recorded, {len(simulated)} simulated"]
        for index, (mine, theirs) in enumerate(zip(recorded, simulated, strict=False)):
            problems += differences(mine, theirs, excuses, path + "[]", f"{where}[{index}]")
        return problems
    if how not in (None, UNORDERED) and isinstance(recorded, str) and isinstance(simulated, str):
        recorded, simulated = re.sub(how, "…", recorded), re.sub(how, "…", simulated)
    if type(recorded) is not type(simulated) or recorded != simulated:
        return [f"{where}: recorded {recorded!r}, simulated {simulated!r}"]
    return []


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED.get(k, _redact(v)) if k in REDACTED else _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def batch_differences(params: dict[str, str], recorded: Any, simulated: Any) -> list[str]:
    """A batch's answers hold each inner call's answer as JSON text: compare what they hold, with the
    inner function's excuses."""
    if not (isinstance(recorded, dict) and isinstance(simulated, dict) and "responses" in simulated):
        return differences(recorded, simulated, _excuses(BATCH))
    problems = differences({k: v for k, v in recorded.items() if k != "responses"},
                           {k: v for k, v in simulated.items() if k != "responses"}, Excuses([]))
    mine, theirs = recorded["responses"], simulated["responses"]
    if len(mine) != len(theirs):
        problems.append(f"$.responses: {len(mine)} answers recorded, {len(theirs)} simulated")
    for index, (one, other) in enumerate(zip(mine, theirs, strict=False)):
        function = params[f"requests[{index}][function]"]
        for key in sorted(set(one) | set(other)):
            left, right = one.get(key), other.get(key)
            if key in ("data", "exception") and isinstance(left, str) and isinstance(right, str):
                left, right = json.loads(left), json.loads(right)
            problems += differences(left, right, _excuses(function), "", f"$.responses[{index}].{key}")
    return problems


def _site_dir() -> Path:
    if not SITE_DIR.is_dir():
        reason = f"the recorded site is missing: {SITE_DIR} (CI has shared/ beside the clone)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return SITE_DIR


def _calls(snapshot: Path):
    for entry in json.loads((snapshot / "calls" / "INDEX.json").read_text()):
        with open(snapshot / "calls" / entry["file"], encoding="utf-8") as lines:
            for line in lines:
                yield entry["file"], json.loads(line)


@pytest.mark.parametrize("snapshot", SNAPSHOTS)
def test_the_simulator_answers_every_recorded_call_as_moodle_did(snapshot):
    folder = _site_dir() / snapshot
    moodle = SimulatedMoodle(load_site(folder), token=TOKEN, siteurl=SITEURL, record_arguments=False)
    total = sum(entry["calls"] for entry in json.loads((folder / "calls" / "INDEX.json").read_text()))
    compared, problems = 0, []
    excuses = {}
    for name, call in _calls(folder):
        params = {k: (TOKEN if k == "wstoken" else v) for k, v in call["params"].items()}
        status, _headers, body = moodle.handle(list(params.items()))
        simulated = _redact(json.loads(body))
        found = [f"status {status}, recorded {call['http_status']}"] if status != call["http_status"] else []
        if call["function"] == BATCH:
            found += batch_differences(params, call["response"], simulated)
        else:
            function = call["function"]
            excuses.setdefault(function, _excuses(function))
            found += differences(call["response"], simulated, excuses[function])
        problems += [f"{name} {_arguments(call['params'])}: {p}" for p in found[:5]]
        compared += 1
    assert problems == [], f"{len(problems)} differences, the first:\n" + "\n".join(problems[:40])
    assert compared >= total, f"compared {compared} calls, INDEX.json lists {total}"


def _arguments(params: dict[str, str]) -> str:
    shown = {k: v for k, v in params.items() if k not in ("wstoken", "wsfunction", "moodlewsrestformat")}
    text = json.dumps(shown)
    return text if len(text) < 120 else text[:117] + "..."


def test_the_comparison_sees_a_changed_value_a_missing_key_and_a_reordered_list():
    strict = Excuses([])
    assert differences({"a": 1}, {"a": 1}, strict) == []
    assert differences({"a": 1}, {"a": 1.0}, strict) != []
    assert differences({"a": True}, {"a": 1}, strict) != []
    assert differences({"a": 1, "b": 2}, {"a": 1}, strict) != []
    assert differences({"a": 1, "b": 2}, {"b": 2, "a": 1}, strict) != []
    assert differences([1, 2], [2, 1], strict) != []
    assert differences([1, 2], [2, 1], Excuses([("", UNORDERED)])) == []
    assert differences({"a": 1, "b": 2}, {"a": 1}, Excuses([("b", IGNORE)])) == []
    masked = Excuses([("u", r"/core/\d+/")])
    assert differences({"u": "x/core/1/f1"}, {"u": "x/core/2/f1"}, masked) == []
    assert differences({"u": "x/core/1/f1"}, {"u": "x/core/2/f2"}, masked) != []

"""How long a real Moodle 5.1 takes, calibrated from the lab's measurements (measurements.md).

Each call costs Moodle some ``demand`` (seconds of service): a fixed cost per web-service
request (bootstrap, token check: ~15 ms) plus a cost per item returned, fitted to the lab:

- core_enrol_get_enrolled_users: 2.7 ms a participant (0.24 ms with a few ``userfields``);
- gradereport_user_get_grade_items for a whole course: 3.0 ms a learner;
- core_user_get_users_by_field: 2.6 ms a user (2.2 on the small site, 3.1 on the county);
- core_completion_get_course_completion_status: 20 ms a call (1 client: ~50/s);
- report builder pages: every page re-runs count and sort of the whole result
  (11.6 µs a row of the whole report) plus 11.5 µs a cheap cell and 0.6 ms an expensive
  one (progress, grade) per row returned;
- a ``tool_mobile_call_external_functions`` request costs 23 ms, plus for each call inside it
  that call's demand less the 17.6 ms a request of its own would have spent on bootstrap and
  overhead (a completion status: 2.4 ms). Fitted to the lab's batch table (10 to 100 calls).

The lab server (2 cores shared by php-fpm and PostgreSQL) serves about ``CAPACITY`` = 2
requests at once: 4 clients double the throughput of 1, 8 only queue. So a phase of calls made
by ``k`` clients takes about ``sum(demand) / min(k, CAPACITY)``.
"""

from __future__ import annotations

from typing import Any

CAPACITY = 2.0
FIXED = 0.0155
PER_PARTICIPANT_FULL = 0.0027
PER_PARTICIPANT_LEAN = 0.00024
PER_LEARNER_GRADES = 0.0030
PER_USER_PROFILE = 0.0026  # the lab: 2.2 ms (small) and 3.1 ms (county) a user
COMPLETION_STATUS = 0.020
PER_COURSE = 0.0012
REPORT_PER_TOTAL_ROW = 0.0000116
REPORT_CHEAP_CELL = 0.0000115
REPORT_EXPENSIVE_CELL = 0.0006
EXPENSIVE_COLUMNS = frozenset({"progress", "grade"})
BATCH_REQUEST = 0.023
BATCH_SAVED = 0.0176
WRITE_PER_ITEM = 0.008


def demand(function: str, arguments: dict[str, Any], answer: Any, report_columns: list[str] | None = None,
           total_rows: int = 0) -> float:
    """Seconds of Moodle service one call needs."""
    size = len(answer) if isinstance(answer, list) else 0
    if function == "core_enrol_get_enrolled_users":
        lean = any(o.get("name") == "userfields" for o in arguments.get("options") or [])
        return FIXED + size * (PER_PARTICIPANT_LEAN if lean else PER_PARTICIPANT_FULL)
    if function == "gradereport_user_get_grade_items":
        return FIXED + len((answer or {}).get("usergrades", [])) * PER_LEARNER_GRADES
    if function == "core_user_get_users_by_field":
        return FIXED + size * PER_USER_PROFILE
    if function in ("core_completion_get_course_completion_status",
                    "core_completion_get_activities_completion_status"):
        return COMPLETION_STATUS
    if function == "core_course_get_courses":
        return FIXED + size * PER_COURSE
    if function == "core_cohort_get_cohort_members":
        return FIXED + sum(len(c["userids"]) for c in answer or []) * 0.0000055
    if function == "core_reportbuilder_retrieve_report":
        rows = len((answer or {}).get("data", {}).get("rows", []))
        columns = report_columns or []
        per_row = sum(REPORT_EXPENSIVE_CELL if c in EXPENSIVE_COLUMNS else REPORT_CHEAP_CELL for c in columns)
        return FIXED + total_rows * REPORT_PER_TOTAL_ROW + rows * per_row
    if function in ("enrol_manual_enrol_users", "core_user_update_users", "core_message_send_instant_messages"):
        items = next((len(v) for v in arguments.values() if isinstance(v, list)), 1)
        return FIXED + items * WRITE_PER_ITEM
    return FIXED + 0.002


def inner_demand(single_call_demand: float) -> float:
    """A call's cost inside a batch: the request's fixed cost is paid once by the batch."""
    return max(0.0005, single_call_demand - BATCH_SAVED)


def phase_seconds(demands: list[float], clients: int) -> float:
    """Wall time of a phase of independent calls made by ``clients`` concurrent clients."""
    if not demands:
        return 0.0
    return max(sum(demands) / min(max(clients, 1), CAPACITY), max(demands))

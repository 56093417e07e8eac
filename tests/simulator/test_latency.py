"""The simulator's latency model against every real-site figure it was calibrated on.

No wall clock anywhere: the model prices calls in SIMULATED seconds. Each real figure (BENCHMARKS.md,
"The latency model against the real sites") must be reproduced within ``TOLERANCE`` (a range measured twice:
its ends widened by ``TOLERANCE``), so that a change to ``moodle_bridge/simulator/latency.py``
cannot drift from them silently.

The county sync figures are not re-run here (the county's batched full and no-change syncs take
minutes of wall time): the request mix of that run, recorded by the benchmark with

    .venv/bin/python bench/sync_roads.py --sizes county --roads batch --record-mix bench/mixes

(``bench/mixes/county_batch.json``: every request's cost drivers, in order, with the sync's phase)
is priced again by the current model. Re-record it when the sync's requests change; the test
below that checks the mix's request count against the real run's says when it no longer looks
like the real sync.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moodle_bridge.simulator import latency
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle

TOLERANCE = 0.25
MIX = Path(__file__).resolve().parents[2] / "bench" / "mixes" / "county_batch.json"

# The recorded reports' columns (/work/shared/moodle/sites/small/README.md, "The custom reports"),
# by the simulator's column names.
LEAN = ["course_idnumber", "user_idnumber", "completed", "time_completed"]  # report 2
RECOMMENDED = LEAN + ["enrol_status", "enrol_timestart", "enrol_timeend"]  # report 3
WITH_GRADE = RECOMMENDED + ["grade"]  # report 4
FULL = ["course_idnumber", "course_shortname", "course_hours", "username", "user_idnumber", "cadre_id", "unit",
        "enrol_status", "enrol_timestart", "enrol_timeend", "completed", "time_enrolled",
        "completion_timestarted", "time_completed", "progress", "grade"]  # report 1
COUNTY, SMALL = 44_869, 2_098  # report rows

# (what, columns, report rows, rows a page, real seconds: low, high); pages read one after another
REPORT_FIGURES = [
    ("county, recommended, one page", RECOMMENDED, COUNTY, COUNTY, 24, 24),
    ("county, recommended + Grade, one page", WITH_GRADE, COUNTY, COUNTY, 28, 28),
    ("county, recommended, 9 pages of 5,000", RECOMMENDED, COUNTY, 5000, 40, 40),
    ("county, recommended + Grade, 9 pages of 5,000", WITH_GRADE, COUNTY, 5000, 57, 57),
    ("county, lean, one page", LEAN, COUNTY, COUNTY, 11, 11),
    ("small, recommended, one page", RECOMMENDED, SMALL, 5000, 0.7, 1.5),
    ("small, recommended + Grade, one page", WITH_GRADE, SMALL, 5000, 1.1, 1.6),
    ("small, full report with Student progress, one page", FULL, SMALL, 5000, 7.8, 8.0),
]
REAL_SYNC = {"full": 555.0, "no-change": 322.0}  # county, batched road, seconds end to end
REAL_NO_CHANGE_REQUESTS = 1181


def read_report(columns: list[str], total: int, perpage: int) -> float:
    return sum(latency.report_page(columns, min(perpage, total - start), total) for start in range(0, total, perpage))


def within(model: float, low: float, high: float) -> bool:
    return low * (1 - TOLERANCE) <= model <= high * (1 + TOLERANCE)


@pytest.mark.parametrize(("what", "columns", "total", "perpage", "low", "high"), REPORT_FIGURES,
                         ids=[f[0] for f in REPORT_FIGURES])
def test_report_reads_match_the_real_sites(what, columns, total, perpage, low, high):
    model = read_report(columns, total, perpage)
    assert within(model, low, high), f"{what}: real {low}-{high} s, model {model:.2f} s"


def test_every_page_re_runs_the_whole_query():
    """Eight more pages cost 16 s (recommended) and 29 s (with Grade): 2.0 s and 3.6 s a page."""
    for columns, one_page, nine_pages in ((RECOMMENDED, 24, 40), (WITH_GRADE, 28, 57)):
        real = (nine_pages - one_page) / 8
        model = (read_report(columns, COUNTY, 5000) - read_report(columns, COUNTY, COUNTY)) / 8
        assert within(model, real, real), (columns[-1], real, model)


def test_column_costs_rank_as_measured():
    """Student progress is the expensive column; Grade is not; the enrolment columns cost more
    than all the lean report's columns and its query together (11 s against 13 s more)."""
    lean, recommended = read_report(LEAN, COUNTY, COUNTY), read_report(RECOMMENDED, COUNTY, COUNTY)
    assert recommended - lean > lean
    assert latency.cell_seconds("grade") < 2 * latency.cell_seconds("completed")
    assert latency.cell_seconds("progress") > 20 * latency.cell_seconds("grade")


def _mix() -> dict:
    if not MIX.exists():
        pytest.fail(f"{MIX} is missing: record it with bench/sync_roads.py --sizes county --roads batch "
                    "--record-mix bench/mixes")
    return json.loads(MIX.read_text())


@pytest.mark.parametrize("kind", ["full", "no-change"])
def test_county_batched_sync_matches_the_real_site(kind):
    mix = _mix()
    simulated = latency.sync_seconds(mix[kind], mix["concurrency"])
    real = REAL_SYNC[kind]
    assert within(simulated, real, real), f"{kind}: real {real} s, simulated {simulated:.1f} s"


def test_the_recorded_mix_looks_like_the_real_sync():
    mix = _mix()
    assert abs(len(mix["no-change"]) - REAL_NO_CHANGE_REQUESTS) <= 0.05 * REAL_NO_CHANGE_REQUESTS
    assert len(mix["full"]) > len(mix["no-change"])  # the full sync re-reads every course's grades
    batches = [e for e in mix["no-change"] if e.get("inner") is not None]
    assert batches and all(sum(n for _w, n in e["inner"]) + e["errors"] <= 50 for e in batches)


def test_lab_figures_still_hold_at_lab_scale():
    """The lab's per-call measurements (measurements.md) are the shape the real level multiplies."""
    f = latency.SITE_FACTOR

    def lab(work):
        return latency.price(work) / f

    checks = [  # (measured s, modelled s)
        (2.0052, lab(["core_enrol_get_enrolled_users", 738, False])),
        (0.1948, lab(["core_enrol_get_enrolled_users", 738, True])),
        (2.2213, lab(["gradereport_user_get_grade_items", 738])),
        (0.2794, lab(["gradereport_user_get_grade_items", 92])),
        (0.2360, lab(["core_user_get_users_by_field", 100])),
        (0.3229, lab(["core_user_get_users_by_field", 100])),
        (1 / 54.7, lab(["core_completion_get_course_completion_status", 0])),  # 1 client
        (1 / 99.1, lab(["core_completion_get_course_completion_status", 0]) / latency.CAPACITY),  # 4 clients
        (1 / 607 * 50, (latency.BATCH_REQUEST + 50 * latency.inner_demand(
            latency.price(["core_completion_get_course_completion_status", 0]))) / f / latency.CAPACITY),
    ]
    for measured, model in checks:
        assert abs(model - measured) / measured <= 0.20, (measured, model)


def _form(function: str, **fields: str) -> list[tuple[str, str]]:
    return [("wstoken", "simulated-token"), ("wsfunction", function), ("moodlewsrestformat", "json"),
            *fields.items()]


def test_a_mix_is_priced_as_the_simulator_charges():
    """request_demand of a recorded entry equals what server.py charged for the call: a plain call,
    a report page, a batch stopped by a failing call."""
    moodle = SimulatedMoodle(generate("tiny"))
    site = moodle.site
    active = [(c, u) for (c, u), e in sorted(site.enrolments.items()) if e.role == "student" and e.status == 0
              and not e.timeend and site.courses[c].enablecompletion and not site.users[u].suspended]
    suspended = active.pop()
    site.suspend_enrolment(*suspended)

    answer = json.loads(moodle.handle(_form("gradereport_user_get_grade_items", courseid=str(active[0][0])))[2])
    assert moodle.calls[-1].demand == pytest.approx(
        latency.request_demand({"work": ["gradereport_user_get_grade_items", len(answer["usergrades"])]}))

    report = json.loads(moodle.handle(_form("core_reportbuilder_retrieve_report", reportid="3", page="0",
                                            perpage="50"))[2])
    rows, total = len(report["data"]["rows"]), report["data"]["totalrowcount"]
    assert moodle.calls[-1].demand == pytest.approx(latency.request_demand(
        {"work": ["core_reportbuilder_retrieve_report", rows, total, site.reports[3].columns]}))

    pairs = [*active[:3], suspended, *active[3:5]]
    fields = {}
    for i, (c, u) in enumerate(pairs):
        fields[f"requests[{i}][function]"] = "core_completion_get_course_completion_status"
        fields[f"requests[{i}][arguments]"] = json.dumps({"courseid": c, "userid": u})
    moodle.handle(_form(latency.BATCH, **fields))
    work = ["core_completion_get_course_completion_status", 0]
    assert moodle.calls[-1].inner == 4  # 3 answered, then the refused one; Moodle stops there
    assert moodle.calls[-1].demand == pytest.approx(latency.request_demand({"inner": [[work, 3]], "errors": 1}))

    moodle.handle(_form("core_webservice_get_site_info", wstoken="wrong"))
    assert moodle.calls[-1].demand == pytest.approx(latency.request_demand({"work": None}))


# --- what the model assumes beyond the real figures (latency.py, "Assumptions") -----------------


def test_a_filtered_page_pays_its_rows_in_full_and_a_share_of_every_other_row():
    """REPORT_FILTER_SCAN_SHARE: an assumption, priced apart so its pessimistic bound (1.0: the whole
    query re-run) can be shown beside it."""
    whole = latency.report_page(WITH_GRADE, 0, COUNTY)
    kept = latency.report_page(WITH_GRADE, 0, 1000)
    filtered = latency.report_page(WITH_GRADE, 0, 1000, scanned_rows=COUNTY)
    per_row = latency.query_row_seconds(WITH_GRADE)
    assert filtered == pytest.approx(kept + (COUNTY - 1000) * per_row * latency.REPORT_FILTER_SCAN_SHARE)
    assert latency.report_page(WITH_GRADE, 0, 1000, scanned_rows=COUNTY, scan_share=1.0) == pytest.approx(whole)
    assert latency.report_page(WITH_GRADE, 0, COUNTY) == latency.report_page(WITH_GRADE, 0, COUNTY, None)


def test_a_profile_field_column_is_priced_like_the_grade_column():
    assert latency.cell_seconds("profile:cadre_id") == latency.cell_seconds("grade")
    assert latency.query_row_seconds(["username", "profile:unit", "profile:rank"]) == pytest.approx(
        latency.REPORT_QUERY_ROW + 2 * latency.REPORT_GRADE_QUERY_ROW)


def test_a_recorded_mix_without_filtered_pages_prices_as_before():
    """Mixes recorded before filters (no scanned rows) price the same whatever the scan share."""
    mix = json.loads(MIX.read_text())
    assert latency.sync_seconds(mix["full"], mix["concurrency"]) == latency.sync_seconds(
        mix["full"], mix["concurrency"], scan_share=1.0)

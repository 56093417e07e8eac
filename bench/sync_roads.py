"""Sync speed by completion road, on simulated county and province sites (labelled SIMULATED).

    .venv/bin/python bench/sync_roads.py                        # county, every road
    .venv/bin/python bench/sync_roads.py --sizes county,province --roads report,batch

1. Checks first that the simulator's latency model reproduces the lab's measurements
   (tests/fixtures/moodle/measurements.md) within 20%: throughput with 1, 4 and 8 clients and the
   per-user costs of whole-course and many-user reads. It stops if it does not.
2. Then, per size and road, a full sync and a no-change incremental sync against the in-process
   simulator: per entity, the HTTP requests made, the SIMULATED Moodle time (each request's
   modelled service time, served about 2 at once as the lab's 2-core server did, with the sync's
   concurrency of 4) and the wall time this machine spent (client, sync, store and the simulator
   itself: an upper bound of our own overhead). The simulator does not sleep: a virtual clock.
"""

from __future__ import annotations

import argparse
import gc
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import responses

from moodle_bridge.config import Settings
from moodle_bridge.log import configure_logging
from moodle_bridge.moodle import MoodleClient
from moodle_bridge.simulator import latency
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle
from moodle_bridge.store import connect, upgrade
from moodle_bridge.sync import Sync, SyncOptions
from moodle_bridge.sync.progress import Progress

MEASUREMENTS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "moodle" / "measurements.md"
CONCURRENCY = 4
ENTITY_OF = {
    "core_webservice_get_site_info": "setup", "core_course_get_categories": "categories",
    "core_course_get_courses": "courses", "core_cohort_get_cohorts": "cohorts",
    "core_cohort_get_cohort_members": "cohorts", "core_enrol_get_enrolled_users": "enrolments",
    "core_user_get_users_by_field": "users", "core_completion_get_course_completion_status": "completions",
    "core_reportbuilder_retrieve_report": "completions", "tool_mobile_call_external_functions": "completions",
    "gradereport_user_get_grade_items": "grades",
}
ORDER = ["setup", "categories", "courses", "cohorts", "enrolments", "users", "completions", "grades"]


# --- 1. the latency model against the lab ---------------------------------------------------------


def lab_figures() -> list[tuple[str, float, float]]:
    """(what, measured, modelled) pairs read from measurements.md."""
    text = MEASUREMENTS.read_text()
    checks = []
    for clients, small, county in re.findall(r"^\| (\d) \| ([\d.]+) \| [^|]+\| ([\d.]+) \|", text, re.M):
        model = min(int(clients), latency.CAPACITY) / latency.COMPLETION_STATUS
        checks.append((f"completion status, {clients} client(s), small: req/s", float(small), model))
        checks.append((f"completion status, {clients} client(s), county: req/s", float(county), model))
    rows = {
        "full course": ("core_enrol_get_enrolled_users", latency.PER_PARTICIPANT_FULL),
        "userfields=id,username,idnumber": ("core_enrol_get_enrolled_users (userfields)", latency.PER_PARTICIPANT_LEAN),
        "no userid": ("gradereport_user_get_grade_items (whole course)", latency.PER_LEARNER_GRADES),
    }
    students = {course: int(n) for course, n in re.findall(r"course (\w\w\d\d-\d{3}) \((\d+) students\)", text)}
    for line in text.splitlines():
        for marker, (label, per_user) in rows.items():
            if marker in line and line.startswith("| `"):
                cells = [c.strip() for c in line.strip("|").split("|")]
                courses = re.findall(r"course (\w\w\d\d-\d{3})", cells[1])  # one per site: small / county
                for course, cell in zip(courses, (cells[2], cells[4])):
                    count = students[course]
                    measured = float(cell.split()[0]) / 1000
                    checks.append((f"{label}, {count} users: s", measured, latency.FIXED + count * per_user))
        if line.startswith("| `core_user_get_users_by_field` | 100 users"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            for site, cell in (("small", cells[2]), ("county", cells[4])):
                checks.append((f"core_user_get_users_by_field, 100 users, {site}: s",
                               float(cell.split()[0]) / 1000, latency.FIXED + 100 * latency.PER_USER_PROFILE))
    return checks


def batch_figures() -> list[tuple[str, float, float]]:
    """The batch table: informational (not part of the 20% gate)."""
    text = MEASUREMENTS.read_text()
    checks = []
    for size, one, four in re.findall(r"^\| batches of (\d+), 1 client / 4 clients \| ([\d.]+) / ([\d.]+) \|", text, re.M):
        per_batch = latency.BATCH_REQUEST + int(size) * latency.inner_demand(latency.COMPLETION_STATUS)
        checks.append((f"batches of {size}, 1 client: completions/s", float(one), int(size) / per_batch))
        checks.append((f"batches of {size}, 4 clients: completions/s", float(four),
                       latency.CAPACITY * int(size) / per_batch))
    return checks


def print_checks(title: str, checks, limit: float | None) -> bool:
    print(f"\n{title}")
    print(f"{'figure':64} {'measured':>10} {'model':>10} {'diff':>7}")
    ok = True
    for what, measured, model in checks:
        diff = (model - measured) / measured
        mark = "" if limit is None else ("  ok" if abs(diff) <= limit else "  OUT")
        ok &= limit is None or abs(diff) <= limit
        print(f"{what:64} {measured:>10.3f} {model:>10.3f} {diff:>+6.0%}{mark}")
    return ok


# --- 2. the syncs -----------------------------------------------------------------------------------


class Timing(Progress):
    """Wall time per entity, from the sync's own progress calls."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.wall: dict[str, float] = defaultdict(float)

    def start(self, entity: str, total: int) -> None:
        self.started[entity] = time.perf_counter()

    def finish(self, entity: str, counts) -> None:
        if entity in self.started:
            self.wall[entity] += time.perf_counter() - self.started.pop(entity)


def measure(moodle: SimulatedMoodle, run) -> dict:
    first = len(moodle.calls)
    timing = Timing()
    started = time.perf_counter()
    summary = run(timing)
    wall = time.perf_counter() - started
    per_entity: dict[str, list[float]] = defaultdict(list)
    for call in moodle.calls[first:]:
        per_entity[ENTITY_OF.get(call.function, call.function)].append(call.demand)
    rows = {entity: (len(d), latency.phase_seconds(d, CONCURRENCY), timing.wall.get(entity, 0.0))
            for entity, d in per_entity.items()}
    assert summary.ok, summary.errors
    return {"rows": rows, "wall": wall, "requests": sum(r[0] for r in rows.values()),
            "simulated": sum(r[1] for r in rows.values())}


def run_road(size: str, road: str, site_cache: dict, report_id: int) -> dict:
    site = site_cache.setdefault(size, generate(size))
    moodle = SimulatedMoodle(site, record_arguments=False)
    with tempfile.TemporaryDirectory() as tmp, responses.RequestsMock() as mock:
        moodle.mount(mock, keep_calls=False)
        engine = connect(f"sqlite:///{tmp}/mirror.db")
        upgrade(engine)
        settings = Settings(moodle={"url": moodle.siteurl, "completions_report_id": report_id,
                                    "concurrency": CONCURRENCY},
                            sync={"completion_road": road})
        client = MoodleClient(moodle.siteurl, "simulated-token", concurrency=CONCURRENCY)
        full = measure(moodle, lambda p: Sync(settings, client, engine, progress=p).run(SyncOptions(full=True)))
        again = measure(moodle, lambda p: Sync(settings, client, engine, progress=p).run(SyncOptions()))
        engine.dispose()
    gc.collect()
    return {"full": full, "no-change": again}


def print_road(size: str, road: str, result: dict) -> None:
    print(f"\n{size}, road {road!r} (SIMULATED Moodle time; wall = this machine's own time)")
    print(f"{'entity':12} {'full: requests':>15} {'Moodle s':>9} {'wall s':>7}   {'no-change: requests':>20} "
          f"{'Moodle s':>9} {'wall s':>7}")
    for entity in ORDER:
        f = result["full"]["rows"].get(entity, (0, 0.0, 0.0))
        n = result["no-change"]["rows"].get(entity, (0, 0.0, 0.0))
        if f[0] or n[0]:
            print(f"{entity:12} {f[0]:>15,} {f[1]:>9.1f} {f[2]:>7.1f}   {n[0]:>20,} {n[1]:>9.1f} {n[2]:>7.1f}")
    for kind in ("full", "no-change"):
        r = result[kind]
        print(f"{'total ' + kind:12} {r['requests']:>15,} requests, {r['simulated']:>7.1f} s simulated Moodle time, "
              f"{r['wall']:.1f} s wall")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="county")
    parser.add_argument("--roads", default="report,batch,per_enrolment")
    parser.add_argument("--report-id", type=int, default=3,
                        help="3: the report the README recommends (with enrolment Status); 2: the lab's lean one")
    args = parser.parse_args()
    configure_logging("error", "json")

    if not print_checks("Latency model vs the lab (measurements.md), must be within 20%:", lab_figures(), 0.20):
        sys.exit("the latency model does not reproduce the lab: no figures reported")
    print_checks("Batches (informational):", batch_figures(), None)

    sites: dict = {}
    summary = []
    for size in args.sizes.split(","):
        for road in args.roads.split(","):
            result = run_road(size, road, sites, args.report_id)
            print_road(size, road + (f" (report {args.report_id})" if road == "report" else ""), result)
            summary.append((size, road, result))
            sys.stdout.flush()
    print("\nSide by side (SIMULATED Moodle time):")
    print(f"{'size':9} {'road':14} {'full requests':>14} {'full s':>8} {'no-change requests':>19} {'no-change s':>12}")
    for size, road, r in summary:
        print(f"{size:9} {road:14} {r['full']['requests']:>14,} {r['full']['simulated']:>8.1f} "
              f"{r['no-change']['requests']:>19,} {r['no-change']['simulated']:>12.1f}")


if __name__ == "__main__":
    main()

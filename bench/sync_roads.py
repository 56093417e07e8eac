"""Sync speed by completion road, on simulated county and province sites (labelled SIMULATED).

    .venv/bin/python bench/sync_roads.py                        # county, every road
    .venv/bin/python bench/sync_roads.py --sizes county,province --roads report,batch
    .venv/bin/python bench/sync_roads.py --roads batch --record-mix bench/mixes   # the test's mix

1. Checks first that the latency model's lab-scale constants reproduce the lab's measurements
   (tests/fixtures/moodle/measurements.md) within 20%: throughput with 1, 4 and 8 clients and the
   per-user costs of whole-course and many-user reads. It stops if they do not. Then prints, for
   information, the lab's batch and report figures and the real sites' report pages against the
   model (see moodle_bridge/simulator/latency.py for the two scales).
2. Then, per size and road, a full sync and a no-change incremental sync against the in-process
   simulator: per entity, the HTTP requests made, the SIMULATED Moodle time (each request's
   modelled real-site service time, served about 2 at once, with the sync's concurrency of 4,
   phase after phase as the sync runs them: ``latency.sync_seconds``) and the wall time this
   machine spent (client, sync, store and the simulator itself: an upper bound of our own
   overhead). The simulator does not sleep: a virtual clock. For the county's batched road it
   prints the real site's end-to-end figures beside the simulated ones.
3. ``--record-mix FOLDER`` writes each run's request mix (what drives each call's cost, in order,
   with its phase) so that tests/simulator/test_latency.py can price it again in milliseconds.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import date
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
    "gradereport_user_get_grade_items": "grades", "core_reportbuilder_set_filters": "completions",
    "core_reportbuilder_filters_reset": "completions",
}
PROFILES_REPORT_ID = 5  # the generated sites' profiles report (Users source)
ORDER = ["setup", "categories", "courses", "cohorts", "enrolments", "users", "completions", "grades"]


# --- 1. the latency model against the lab and the real sites ---------------------------------------


def lab_figures() -> list[tuple[str, float, float]]:
    """(what, measured, modelled at lab scale) pairs read from measurements.md."""
    text = MEASUREMENTS.read_text()
    checks = []
    for clients, small, county in re.findall(r"^\| (\d) \| ([\d.]+) \| [^|]+\| ([\d.]+) \|", text, re.M):
        model = min(int(clients), latency.CAPACITY) / latency.LAB_COMPLETION_STATUS
        checks.append((f"completion status, {clients} client(s), small: req/s", float(small), model))
        checks.append((f"completion status, {clients} client(s), county: req/s", float(county), model))
    rows = {
        "full course": ("core_enrol_get_enrolled_users", latency.LAB_PER_PARTICIPANT_FULL),
        "userfields=id,username,idnumber": ("core_enrol_get_enrolled_users (userfields)",
                                            latency.LAB_PER_PARTICIPANT_LEAN),
        "no userid": ("gradereport_user_get_grade_items (whole course)", latency.LAB_PER_LEARNER_GRADES),
    }
    students = {course: int(n) for course, n in re.findall(r"course (\w\w\d\d-\d{3}) \((\d+) students\)", text)}
    for line in text.splitlines():
        for marker, (label, per_user) in rows.items():
            if marker in line and line.startswith("| `"):
                cells = [c.strip() for c in line.strip("|").split("|")]
                courses = re.findall(r"course (\w\w\d\d-\d{3})", cells[1])  # one per site: small / county
                for course, cell in zip(courses, (cells[2], cells[4]), strict=False):
                    count = students[course]
                    measured = float(cell.split()[0]) / 1000
                    checks.append((f"{label}, {count} users: s", measured, latency.LAB_FIXED + count * per_user))
        if line.startswith("| `core_user_get_users_by_field` | 100 users"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            for site, cell in (("small", cells[2]), ("county", cells[4])):
                checks.append((f"core_user_get_users_by_field, 100 users, {site}: s",
                               float(cell.split()[0]) / 1000,
                               latency.LAB_FIXED + 100 * latency.LAB_PER_USER_PROFILE))
    return checks


def batch_figures() -> list[tuple[str, float, float]]:
    """The batch table (lab scale): informational (not part of the 20% gate)."""
    text = MEASUREMENTS.read_text()
    checks = []
    inner = latency.inner_demand(latency.SITE_FACTOR * latency.LAB_COMPLETION_STATUS) / latency.SITE_FACTOR
    batches = r"^\| batches of (\d+), 1 client / 4 clients \| ([\d.]+) / ([\d.]+) \|"
    for size, one, four in re.findall(batches, text, re.M):
        per_batch = latency.LAB_BATCH_REQUEST + int(size) * inner
        checks.append((f"batches of {size}, 1 client: completions/s", float(one), int(size) / per_batch))
        checks.append((f"batches of {size}, 4 clients: completions/s", float(four),
                       latency.CAPACITY * int(size) / per_batch))
    return checks


LEAN = ["course_idnumber", "user_idnumber", "completed", "time_completed"]
RECOMMENDED = LEAN + ["enrol_status", "enrol_timestart", "enrol_timeend"]
FULL = ["course_idnumber", "course_shortname", "course_hours", "username", "user_idnumber", "cadre_id", "unit",
        "enrol_status", "enrol_timestart", "enrol_timeend", "completed", "time_enrolled",
        "completion_timestarted", "time_completed", "progress", "grade"]
COUNTY_ROWS, SMALL_ROWS, LAB_SMALL_ROWS = 44_869, 2_098, 2_105


def read_report(columns: list[str], total: int, perpage: int) -> float:
    """Seconds to read every page of a report, one page after another (one client)."""
    return sum(latency.report_page(columns, min(perpage, total - start), total) for start in range(0, total, perpage))


def report_lab_figures() -> list[tuple[str, float, float]]:
    """The lab's report timings (measurements.md) against the real-site report model / SITE_FACTOR."""
    f = latency.SITE_FACTOR
    return [
        ("lean report, county, 9 pages of 5,000: s", 6.78, read_report(LEAN, COUNTY_ROWS, 5000) / f),
        ("lean report, county, 45 pages of 1,000: s", 25.56, read_report(LEAN, COUNTY_ROWS, 1000) / f),
        ("lean report, county, one page of 1,000: s", 0.6605, latency.report_page(LEAN, 1000, COUNTY_ROWS) / f),
        ("lean report, small, one page: s", 0.16, read_report(LEAN, LAB_SMALL_ROWS, 5000) / f),
        ("full report, county, 9 pages of 5,000: s", 60.75, read_report(FULL, COUNTY_ROWS, 5000) / f),
        ("full report, county, 45 pages of 1,000: s", 90.02, read_report(FULL, COUNTY_ROWS, 1000) / f),
        ("full report, county, one page of 100: s", 0.7453, latency.report_page(FULL, 100, COUNTY_ROWS) / f),
        ("full report, small, one page: s", 2.03, read_report(FULL, LAB_SMALL_ROWS, 5000) / f),
    ]


def report_real_figures() -> list[tuple[str, float, float]]:
    """The real sites' report timings (BENCHMARKS.md) against the model. Ranges: their middle."""
    n, s = COUNTY_ROWS, SMALL_ROWS
    return [
        ("county, recommended, one page: s", 24, read_report(RECOMMENDED, n, n)),
        ("county, recommended + Grade, one page: s", 28, read_report(RECOMMENDED + ["grade"], n, n)),
        ("county, recommended, 9 pages of 5,000: s", 40, read_report(RECOMMENDED, n, 5000)),
        ("county, recommended + Grade, 9 pages of 5,000: s", 57, read_report(RECOMMENDED + ["grade"], n, 5000)),
        ("county, lean, one page: s", 11, read_report(LEAN, n, n)),
        ("small, recommended, one page (0.7-1.5): s", 1.1, read_report(RECOMMENDED, s, 5000)),
        ("small, recommended + Grade, one page (1.1-1.6): s", 1.35, read_report(RECOMMENDED + ["grade"], s, 5000)),
        ("small, full report (Student progress), one page (7.8-8.0): s", 7.9, read_report(FULL, s, 5000)),
    ]


REAL_COUNTY_BATCH = {"full": 555.0, "no-change": 322.0}  # seconds, end to end; no-change: 1,181 requests
REAL_COUNTY_BATCH_REQUESTS = {"no-change": 1181}


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


class MixRecorder:
    """The request mix of a run: what drives each call's cost (``latency.describe``), in the order
    the simulator answers, labelled with the sync's phase. Priced again by ``latency.sync_seconds``.

    Hooks the simulator from outside (this benchmark only): ``latency.demand``, which the server
    prices every call with, and the server's own call record.
    """

    def __init__(self, moodle: SimulatedMoodle) -> None:
        self.entries: list[dict] = []
        self.local = threading.local()
        self.groups = 0  # report pages asked together (one call_many) are one phase; see watch()
        self.group: int | None = None
        self._demand = latency.demand
        latency.demand = self._describe_and_price
        record = moodle._record
        self.moodle_lock = moodle._lock

        def recording(function, arguments, outcome, demand, inner=0):
            works, self.local.works = getattr(self.local, "works", []), []
            with moodle._lock:  # the same order as moodle.calls
                record(function, arguments, outcome, demand, inner)
                entry = self._entry(function, arguments, works, inner)
                repriced = latency.request_demand(entry)
                assert abs(repriced - demand) < 1e-9, (function, repriced, demand)
                self.entries.append(entry)

        moodle._record = recording

    def watch(self, client: MoodleClient) -> None:
        """Report pages the sync asks for in one ``call_many`` run at once: one phase; a page asked
        alone, and each filter call, is a phase of its own. (Report reads run on the sync's own thread,
        nothing else reads meanwhile, so the group in force is theirs.)"""
        call_many = client.call_many

        def grouped(calls, *args, **kwargs):
            with self.moodle_lock:
                self.groups += 1
                self.group = self.groups
            try:
                return call_many(calls, *args, **kwargs)
            finally:
                self.group = None

        client.call_many = grouped

    def _describe_and_price(self, function, arguments, answer, report_columns=None, total_rows=0,
                            scanned_rows=None) -> float:
        work = latency.describe(function, arguments, answer, report_columns, total_rows, scanned_rows)
        self.local.works = [*getattr(self.local, "works", []), work]
        return latency.price(work)

    def _entry(self, function: str, arguments: dict, works: list, inner: int) -> dict:
        phase = ENTITY_OF.get(function, function)
        report = str(arguments.get("reportid", ""))
        if report == str(PROFILES_REPORT_ID):
            phase = "users"
        if function == "core_reportbuilder_retrieve_report":
            group = self.group
            if group is None:  # asked alone
                self.groups += 1
                group = self.groups
            phase += f":report {report} pages #{group}"
        elif function in ("core_reportbuilder_set_filters", "core_reportbuilder_filters_reset"):
            self.groups += 1
            phase += f":report {report} filters #{self.groups}"
        if function == latency.BATCH and inner:
            grouped: dict[str, list] = {}
            for work in works:
                key = json.dumps(work)
                grouped.setdefault(key, [work, 0])[1] += 1
            return {"phase": phase, "inner": list(grouped.values()), "errors": inner - len(works)}
        return {"phase": phase, "work": works[0] if works else None}

    def close(self) -> None:
        latency.demand = self._demand


def measure(moodle: SimulatedMoodle, recorder: MixRecorder, run) -> dict:
    first = len(recorder.entries)
    timing = Timing()
    started = time.perf_counter()
    summary = run(timing)
    wall = time.perf_counter() - started
    mix = recorder.entries[first:]
    per_entity: dict[str, list] = defaultdict(lambda: [0, 0.0])
    for label, demands in latency.phases(mix):
        entity = label.split(":")[0]
        per_entity[entity][0] += len(demands)
        per_entity[entity][1] += latency.phase_seconds(demands, CONCURRENCY)
    rows = {entity: (n, s, timing.wall.get(entity, 0.0)) for entity, (n, s) in per_entity.items()}
    assert summary.ok, summary.errors
    simulated = latency.sync_seconds(mix, CONCURRENCY)
    # Filtered report pages priced as if each re-ran the whole query (the pessimistic bound).
    pessimistic = latency.sync_seconds(mix, CONCURRENCY, scan_share=1.0)
    # The same calls priced per entity only (no phases within an entity): how much the phases add.
    flat = sum(latency.phase_seconds([latency.request_demand(e) for e in mix if e["phase"].split(":")[0] == entity],
                                     CONCURRENCY) for entity in per_entity)
    return {"rows": rows, "wall": wall, "requests": len(mix), "simulated": simulated, "flat": flat, "mix": mix,
            "pessimistic": pessimistic}


def run_road(size: str, road: str, site_cache: dict, report_id: int, filters: bool = False) -> dict:
    site = site_cache.setdefault(size, generate(size))
    moodle = SimulatedMoodle(site, record_arguments=False)
    recorder = MixRecorder(moodle)
    try:
        with tempfile.TemporaryDirectory() as tmp, responses.RequestsMock() as mock:
            moodle.mount(mock, keep_calls=False)
            engine = connect(f"sqlite:///{tmp}/mirror.db")
            upgrade(engine)
            extra = {"profiles_report_id": PROFILES_REPORT_ID} if filters else {}
            settings = Settings(moodle={"url": moodle.siteurl, "completions_report_id": report_id,
                                        "concurrency": CONCURRENCY, **extra},
                                sync={"completion_road": road, "report_filters": filters})
            client = MoodleClient(moodle.siteurl, "simulated-token", concurrency=CONCURRENCY)
            recorder.watch(client)
            full = measure(moodle, recorder,
                           lambda p: Sync(settings, client, engine, progress=p).run(SyncOptions(full=True)))
            moodle.calls.clear()
            again = measure(moodle, recorder, lambda p: Sync(settings, client, engine, progress=p).run(SyncOptions()))
            engine.dispose()
    finally:
        recorder.close()
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
        print(f"{'total ' + kind:12} {r['requests']:>15,} requests, {r['simulated']:>7.1f} s simulated Moodle time "
              f"({r['flat']:.1f} s priced per entity, without phases), {r['wall']:.1f} s wall; "
              f"{r['pessimistic']:.1f} s if every filtered page re-ran the whole query")
    if size == "county" and road == "batch":
        print("real county site, batched road (end to end):")
        for kind, real in REAL_COUNTY_BATCH.items():
            r = result[kind]
            requests = REAL_COUNTY_BATCH_REQUESTS.get(kind)
            print(f"  {kind:10} real {real:7.1f} s{f' ({requests:,} requests)' if requests else ''}, "
                  f"simulated {r['simulated']:7.1f} s ({r['requests']:,} requests): "
                  f"{(r['simulated'] - real) / real:+.0%}")


def write_mix(folder: Path, size: str, road: str, report_id: int, result: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{size}_{road}" + (f"_report{report_id}" if road == "report" else "") + ".json"
    if road == "report" and "--filters" in sys.argv:
        name = name.replace(".json", "_filters.json")
    path = folder / name
    payload = {
        "what": f"request mix of the {size} site's {road} road, full then no-change sync (bench/sync_roads.py)",
        "command": " ".join(["bench/sync_roads.py", *sys.argv[1:]]),
        "recorded": date.today().isoformat(),
        "concurrency": CONCURRENCY,
        "full": result["full"]["mix"],
        "no-change": result["no-change"]["mix"],
    }
    path.write_text(json.dumps(payload, separators=(",", ":")) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="county")
    parser.add_argument("--roads", default="report,batch,per_enrolment")
    parser.add_argument("--report-id", type=int, default=3,
                        help="3: the report the README recommends (with enrolment Status); 2: the lab's lean one")
    parser.add_argument("--filters", action="store_true",
                        help="the report road through the reports' filters, profiles from report 5 (Users source)")
    parser.add_argument("--record-mix", type=Path, metavar="FOLDER",
                        help="write each run's request mix there (tests/simulator/test_latency.py prices bench/mixes)")
    args = parser.parse_args()
    configure_logging("error", "json")

    if not print_checks("Latency model vs the lab (measurements.md), lab scale, must be within 20%:",
                        lab_figures(), 0.20):
        sys.exit("the latency model does not reproduce the lab: no figures reported")
    print_checks("Batches, lab scale (informational):", batch_figures(), None)
    print_checks(f"Report pages, the lab vs the model / SITE_FACTOR ({latency.SITE_FACTOR:g}) (informational):",
                 report_lab_figures(), None)
    print_checks("Report pages, the real sites vs the model (one client, pages one after another):",
                 report_real_figures(), None)

    sites: dict = {}
    summary = []
    for size in args.sizes.split(","):
        for road in args.roads.split(","):
            result = run_road(size, road, sites, args.report_id, args.filters and road == "report")
            label = road + (f" (report {args.report_id}{' + profiles, filters' if args.filters else ''})"
                            if road == "report" else "")
            print_road(size, label, result)
            if args.record_mix:
                print(f"request mix written to {write_mix(args.record_mix, size, road, args.report_id, result)}")
            for kind in ("full", "no-change"):
                result[kind].pop("mix")
            summary.append((size, road, result))
            sys.stdout.flush()
    print("\nSide by side (SIMULATED Moodle time):")
    print(f"{'size':9} {'road':14} {'full requests':>14} {'full s':>8} {'pessim.':>8} {'wall s':>7} "
          f"{'no-change requests':>19} {'no-change s':>12} {'pessim.':>8} {'wall s':>7}")
    for size, road, r in summary:
        full, same = r["full"], r["no-change"]
        print(f"{size:9} {road:14} {full['requests']:>14,} {full['simulated']:>8.1f} {full['pessimistic']:>8.1f} "
              f"{full['wall']:>7.1f} {same['requests']:>19,} {same['simulated']:>12.1f} {same['pessimistic']:>8.1f} "
              f"{same['wall']:>7.1f}")


if __name__ == "__main__":
    main()

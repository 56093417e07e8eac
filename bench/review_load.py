"""The review page under load: many staff browsing and exporting while an evaluation writes to the same store.

    .venv/bin/python bench/review_load.py                                   # 100,000 cadres, 50 staff, 120 s
    .venv/bin/python bench/review_load.py --cadres 100000 --staff 50 --seconds 120 --writer evaluate
    .venv/bin/python bench/review_load.py --store postgres --drop           # the same on PostgreSQL (schema bench_*)
    .venv/bin/python bench/review_load.py --cadres 300 --staff 3 --seconds 5 --store-path /tmp/x.db   # a smoke run

1. The store: a synthetic province (``bench/evaluate_province.py``'s bulk build: cadres, units of 125, about 8
   completions each with grades), then one real evaluation (``services.evaluation.evaluate`` with the example rules),
   so the page reads what it reads in production: evaluation results and flags. The store is kept for later runs
   (SQLite: a file under /tmp; PostgreSQL: the schema bench_review_N in the test database, dropped by ``--drop``).
2. Staff accounts through ``moodle_bridge.web.accounts``: a fifth admins (every unit), the rest reviewers of two units.
3. The page: ``web.app.create_app`` under uvicorn on 127.0.0.1 (a free port), in its own process.
4. The writer, in its own process for the whole run: an evaluation, then another ``--every`` seconds after each
   ends (``--writer evaluate``; an evaluation with nothing to judge takes a fraction of a second, and back to back
   they would make a new evaluation, and so new figures to read, twice a second), or a write transaction that holds
   the store's write lock ``--hold`` seconds every ``--every`` seconds (``--writer hold``), or nothing
   (``--writer none``).
5. ``--staff`` simulated staff, one thread and one HTTP session each, for ``--seconds``: sign in (a refused sign-in,
   503 or 429, is retried after its Retry-After and counted), then round after round: the dashboard, the flagged
   list (page 1 with a random filter, then a later page), a cadre from that list, and every ``--export-every``-th
   round an export (CSV or Excel) of one unit's flagged cadres, with a think time (``--think`` seconds on average)
   between requests. Loopback only; the run stops by itself.

Prints the latency (p50/p95/max, ms, measured by the client: queueing in the server included) and the errors per
kind of request (any answer but the expected one, or no answer within ``--timeout``), and the writer's runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from evaluate_province import RULES, build  # noqa: E402  (a sibling script, not a package)

POSTGRES = os.environ.get("MOODLE_BRIDGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "load-test correct horse battery"
PERIOD, AS_OF = "2026", date(2026, 11, 21)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CADRE_LINK = re.compile(r'href="/cadres/([^"?/]+)"')
PAGES = ("dashboard", "flags", "flags_filtered", "flags_later_page", "cadre")  # the goal: p95 under 200 ms


# --- the store ------------------------------------------------------------------------------------------------------

def prepare_store(url: str, cadres: int, staff: int) -> dict[str, Any]:
    """Build (if empty), evaluate (if never evaluated) and add the staff accounts (if missing)."""
    from moodle_bridge.services.evaluation import evaluate
    from moodle_bridge.services.rules_file import load_rules
    from moodle_bridge.store import connect, upgrade
    from moodle_bridge.store.held import held_in
    from moodle_bridge.store.schema import evaluation_flags, evaluation_results, evaluations, mirror_users
    from moodle_bridge.web import accounts

    engine = connect(url)
    upgrade(engine)
    with engine.connect() as c:
        have = c.execute(sa.select(sa.func.count()).select_from(mirror_users)).scalar_one()
    if not have:
        build(url, cadres)
    with engine.connect() as c:
        evaluated = c.execute(sa.select(sa.func.count()).select_from(evaluations)).scalar_one()
    if not evaluated:
        started = time.perf_counter()
        summary = evaluate(engine, load_rules(RULES), PERIOD, AS_OF)
        print(f"evaluated in {time.perf_counter() - started:.0f} s: {summary.flags} flags", flush=True)
        if engine.dialect.name == "postgresql":  # what autovacuum does soon after a bulk load: fresh planner stats
            with engine.begin() as c:
                c.exec_driver_sql("ANALYZE")
    with engine.connect() as c:
        latest = c.execute(sa.select(sa.func.max(evaluations.c.id))).scalar_one()
        units = [r[0] for r in c.execute(sa.select(evaluation_results.c.unit_code).distinct().where(
            held_in(evaluation_results, latest)).order_by(evaluation_results.c.unit_code))]
        kinds = [r[0] for r in c.execute(sa.select(evaluation_flags.c.kind).distinct())]
        results = c.execute(sa.select(sa.func.count()).select_from(evaluation_results).where(
            held_in(evaluation_results, latest))).scalar_one()
        flagged = c.execute(sa.select(sa.func.count(sa.distinct(evaluation_flags.c.cadre_id))).where(
            held_in(evaluation_flags, latest))).scalar_one()
    existing = {a["username"] for a in accounts.listing(engine)}
    rng = random.Random(11)
    people = []
    for i in range(staff):
        name = f"staff{i:03d}"
        admin = i % 5 == 0
        scope = [] if admin else rng.sample(units, min(2, len(units)))
        if name not in existing:
            accounts.add(engine, name, PASSWORD, "admin" if admin else "reviewer", scope)
        else:  # an earlier run's account: its units as stored
            scope = next(a["units"] for a in accounts.listing(engine) if a["username"] == name)
        people.append({"name": name, "units": scope or units})
    engine.dispose()
    return {"units": units, "kinds": kinds, "results": results, "flagged": flagged, "people": people}


# --- where a page's time goes: the read model's calls alone, in this process, on an idle store --------------------

def profile(url: str, facts: dict[str, Any], repeat: int = 5) -> None:
    """Median ms of each read the pages make, for an admin (every unit) and a reviewer (two units)."""
    from moodle_bridge import results
    from moodle_bridge.store import connect

    engine = connect(url)
    reviewer = next(p["units"] for p in facts["people"] if len(p["units"]) <= 2)
    kind = facts["kinds"][0] if facts["kinds"] else None
    with engine.connect() as c:
        current = results.evaluation(c)
        assert current is not None
        some = results.flagged_page(c, current.id, None, results.CadreQuery(), 1, 50).rows[0].result.cadre_id
        cases: dict[str, Any] = {
            "evaluation (every page)": lambda: results.evaluation(c),
            "review_states (every list)": lambda: results.review_states(c),
            "dashboard, admin": lambda: results.dashboard(c, None),
            "dashboard, reviewer": lambda: results.dashboard(c, reviewer),
            "flagged_page 1, admin": lambda: results.flagged_page(c, current.id, None, results.CadreQuery(), 1, 50),
            "flagged_page 1, reviewer": lambda: results.flagged_page(c, current.id, reviewer, results.CadreQuery(),
                                                                     1, 50),
            f"flagged_page 1 kind={kind}, admin": lambda: results.flagged_page(
                c, current.id, None, results.CadreQuery(kind=kind), 1, 50),
            "flagged_page 20, admin": lambda: results.flagged_page(c, current.id, None, results.CadreQuery(), 20, 50),
            "unit_names, admin (every list)": lambda: results.unit_names(c, current.id, None),
            "cadre_file + review_history": lambda: (results.cadre_file(c, some), results.review_history(c, some)),
            "flagged_cadres one unit (export), admin": lambda: results.flagged_cadres(
                c, current.id, None, results.CadreQuery(unit_code=reviewer[0])),
        }
        print("\n| read (idle store, one at a time) | median ms |\n|---|---:|")
        for name, call in cases.items():
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                call()
                times.append(time.perf_counter() - started)
            print(f"| {name} | {statistics.median(times) * 1000:,.0f} |")
    engine.dispose()


# --- the server and the writer, each in its own process -------------------------------------------------------------

def serve(url: str, port: int) -> None:
    import uvicorn

    from moodle_bridge.log import configure_logging
    from moodle_bridge.store import connect
    from moodle_bridge.web.app import create_app

    configure_logging("error", "json")
    app = create_app(connect(url), secrets.token_urlsafe(48))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error")


def write(url: str, mode: str, hold: float, every: float, report: str, as_of: date = AS_OF) -> None:
    """Write to the store until SIGTERM; append one JSON line per write to ``report``."""
    from moodle_bridge.log import configure_logging
    from moodle_bridge.services.evaluation import evaluate
    from moodle_bridge.services.rules_file import load_rules
    from moodle_bridge.store import connect
    from moodle_bridge.store.schema import sync_state

    configure_logging("error", "json")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    engine = connect(url)
    rules = load_rules(RULES)
    while not stop.is_set():
        started = time.perf_counter()
        outcome = "ok"
        try:
            if mode == "evaluate":
                evaluate(engine, rules, PERIOD, as_of)
            else:  # one small write, its transaction (and so the write lock) held open for `hold` seconds
                with engine.begin() as c:
                    where = (sync_state.c.entity == "bench") & (sync_state.c.key == "hold")
                    c.execute(sa.delete(sync_state).where(where))
                    c.execute(sa.insert(sync_state).values(entity="bench", key="hold", value=time.time()))
                    stop.wait(hold)
        except Exception as exc:  # a failed write is a figure of the run, not the end of it
            outcome = f"{type(exc).__name__}: {str(exc)[:200]}"
        with open(report, "a") as out:
            out.write(json.dumps({"mode": mode, "s": round(time.perf_counter() - started, 2), "outcome": outcome})
                      + "\n")
        stop.wait(every)
    engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(base: str, server: subprocess.Popen[bytes], bound: float = 120.0) -> None:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the page's server ended with {server.returncode}")
        try:
            if requests.get(f"{base}/login", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the page did not answer within {bound:.0f} s")


# --- the staff --------------------------------------------------------------------------------------------------------

class Recorder:
    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.refused_sign_ins = 0
        self.lock = threading.Lock()

    def note(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.samples[kind].append(seconds)
            if error:
                self.errors[kind].append(error)


class Staff(threading.Thread):
    def __init__(self, base: str, person: dict[str, Any], kinds: list[str], args: argparse.Namespace,
                 recorder: Recorder, until: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.base, self.person, self.kinds, self.args = base, person, kinds, args
        self.recorder, self.until, self.rng = recorder, until, random.Random(seed)
        self.http = requests.Session()

    def get(self, kind: str, path: str, params: dict[str, str] | None = None, expect: int = 200) -> str:
        started = time.perf_counter()
        error = None
        text = ""
        try:
            answer = self.http.get(self.base + path, params=params, timeout=self.args.timeout, allow_redirects=False)
            text = answer.text if answer.headers.get("content-type", "").startswith("text/html") else ""
            if answer.status_code != expect:
                error = f"{answer.status_code} {path}"
            else:
                len(answer.content)  # the whole answer read
        except requests.RequestException as exc:
            error = f"{type(exc).__name__} {path}"
        self.recorder.note(kind, time.perf_counter() - started, error)
        return text

    def think(self) -> None:
        time.sleep(self.rng.uniform(0, 2 * self.args.think))

    def sign_in(self) -> bool:
        while time.monotonic() < self.until:
            form = CSRF.search(self.get("login_page", "/login"))
            if not form:
                self.think()
                continue
            started = time.perf_counter()
            try:
                answer = self.http.post(self.base + "/login", timeout=self.args.timeout, allow_redirects=False,
                                        data={"csrf": form.group(1), "username": self.person["name"],
                                              "password": PASSWORD})
            except requests.RequestException as exc:
                self.recorder.note("login", time.perf_counter() - started, type(exc).__name__)
                continue
            took = time.perf_counter() - started
            if answer.status_code in (429, 503):  # refused for now: what a person does is wait and try again
                with self.recorder.lock:
                    self.recorder.refused_sign_ins += 1
                self.recorder.note("login_refused", took, None)
                time.sleep(min(10.0, float(answer.headers.get("Retry-After", "1"))) * self.rng.uniform(0.5, 1.5))
                continue
            self.recorder.note("login", took, None if answer.status_code == 303 else f"{answer.status_code} /login")
            return answer.status_code == 303
        return False

    def run(self) -> None:
        time.sleep(self.rng.uniform(0, self.args.ramp))  # people do not all arrive in the same second
        if not self.sign_in():
            return
        rounds = 0
        while time.monotonic() < self.until and not (self.args.rounds and rounds >= self.args.rounds):
            rounds += 1
            self.get("dashboard", "/")
            self.think()
            listing = self.get("flags", "/flags")
            self.think()
            choice = self.rng.choice(["unit", "kind", "state", "q", "sort"])
            filters = {"unit": {"unit": self.rng.choice(self.person["units"])},
                       "kind": {"kind": self.rng.choice(self.kinds)} if self.kinds else {},
                       "state": {"state": self.rng.choice(["unreviewed", "reviewed"])},
                       "q": {"q": f"CD{self.rng.randrange(0, max(1, self.args.cadres)):07d}"[:6]},
                       "sort": {"sort": "hours", "order": "desc"}}[choice]
            self.get("flags_filtered", "/flags", filters)
            self.think()
            self.get("flags_later_page", "/flags", {"page": str(self.rng.randint(2, 20))})
            self.think()
            cadres = CADRE_LINK.findall(listing)
            if cadres:
                self.get("cadre", f"/cadres/{self.rng.choice(cadres)}")
                self.think()
            if self.args.export_every and rounds % self.args.export_every == 0:
                fmt = self.rng.choice(["csv", "xlsx"])
                self.get(f"export_{fmt}", f"/flags/export.{fmt}", {"unit": self.rng.choice(self.person["units"])})
                self.think()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def report(recorder: Recorder, writes: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    rows = {}
    print("\n| request | count | p50 ms | p95 ms | max ms | errors |\n|---|---:|---:|---:|---:|---:|")
    order = [*PAGES, "login_page", "login", "export_csv", "export_xlsx"]
    for kind in sorted(recorder.samples, key=lambda k: order.index(k) if k in order else len(order)):
        values = recorder.samples[kind]
        if kind == "login_refused":
            continue
        row = {"count": len(values), "p50_ms": round(statistics.median(values) * 1000),
               "p95_ms": round(percentile(values, 0.95) * 1000), "max_ms": round(max(values) * 1000),
               "errors": len(recorder.errors.get(kind, []))}
        rows[kind] = row
        print(f"| {kind} | {row['count']:,} | {row['p50_ms']:,} | {row['p95_ms']:,} | {row['max_ms']:,} | "
              f"{row['errors']} |")
    pages = [v for k, vs in recorder.samples.items() if k in PAGES for v in vs]
    total = sum(len(v) for k, v in recorder.samples.items() if k != "login_refused")
    errors = [e for es in recorder.errors.values() for e in es]
    summary = {
        "requests": total, "per_s": round(total / seconds, 1), "errors": len(errors),
        "error_kinds": dict(sorted(Counter(re.sub(r"/cadres/\S+", "/cadres/…", e) for e in errors).items())),
        "pages_p95_ms": round(percentile(pages, 0.95) * 1000) if pages else None,
        "refused_sign_ins_retried": recorder.refused_sign_ins,
        "writer": {"runs": len(writes), "ok": sum(w["outcome"] == "ok" for w in writes),
                   "s": [w["s"] for w in writes], "failures": [w["outcome"] for w in writes if w["outcome"] != "ok"]},
    }
    print(json.dumps(summary, indent=1))
    return {"kinds": rows, **summary}


# --- the run ---------------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cadres", type=int, default=100_000)
    parser.add_argument("--staff", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120.0, help="how long the staff browse (bounded: ≤ 600)")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a person's requests, seconds")
    parser.add_argument("--ramp", type=float, default=10.0, help="staff arrive over this many seconds")
    parser.add_argument("--export-every", type=int, default=3, help="an export every N rounds (0: none)")
    parser.add_argument("--rounds", type=int, default=0, help="each person stops after N rounds (0: at --seconds)")
    parser.add_argument("--timeout", type=float, default=60.0, help="a request with no answer by then is an error")
    parser.add_argument("--writer", choices=["evaluate", "hold", "none"], default="evaluate")
    parser.add_argument("--hold", type=float, default=2.0, help="--writer hold: seconds the lock is held")
    parser.add_argument("--every", type=float, default=8.0, help="seconds between the writer's evaluations or holds")
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--store-path", help="the SQLite file (default /tmp/moodle_bridge_review_load_N.db)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=AS_OF,
                        help="--writer evaluate: the day it evaluates as of (a store evaluated up to a later day is "
                        "evaluated whole again)")
    parser.add_argument("--store-url", help="use this store as it is (e.g. evaluate_province.py's PostgreSQL "
                        "database moodle_bridge_bench_N, evaluated day after day); --cadres then only names it")
    parser.add_argument("--drop", action="store_true", help="drop the PostgreSQL schema afterwards")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--profile", action="store_true", help="time the read model's calls alone, then stop")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--write", help=argparse.SUPPRESS)
    parser.add_argument("--write-report", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    if args.write:
        write(args.write, args.writer, args.hold, args.every, args.write_report, args.as_of)
        return
    args.seconds = min(args.seconds, 600.0)

    schema = None
    if args.store_url:
        url = args.store_url
    elif args.store == "postgres":
        schema = f"bench_review_{args.cadres}"
        admin = sa.create_engine(POSTGRES)
        with admin.begin() as c:
            c.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        url = sa.make_url(POSTGRES).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    else:
        url = f"sqlite:///{args.store_path or f'/tmp/moodle_bridge_review_load_{args.cadres}.db'}"
    started = time.perf_counter()
    facts = prepare_store(url, args.cadres, args.staff)
    print(f"store ready in {time.perf_counter() - started:.0f} s: {facts['results']:,} cadres evaluated, "
          f"{facts['flagged']:,} flagged, {len(facts['units'])} units, {len(facts['people'])} staff", flush=True)
    if args.profile:
        profile(url, facts)
        return

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    me = [sys.executable, str(Path(__file__).resolve())]
    server = subprocess.Popen([*me, "--serve", url, "--port", str(port)], cwd=ROOT)
    writes_file = Path(f"/tmp/review_load_writes_{os.getpid()}.jsonl")
    writer = None
    try:
        wait_until_up(base, server)
        if args.writer != "none":
            writer = subprocess.Popen([*me, "--write", url, "--writer", args.writer, "--hold", str(args.hold),
                                       "--every", str(args.every), "--write-report", str(writes_file),
                                       "--as-of", args.as_of.isoformat()], cwd=ROOT)
        recorder = Recorder()
        until = time.monotonic() + (600.0 if args.rounds else args.seconds)  # --rounds: 600 s is only a bound
        people = [Staff(base, p, facts["kinds"], args, recorder, until, seed=i)
                  for i, p in enumerate(facts["people"])]
        began, load_before = time.monotonic(), os.getloadavg()[0]
        for person in people:
            person.start()
        for person in people:
            person.join(until - time.monotonic() + args.timeout + 30)
        elapsed, load_after = time.monotonic() - began, os.getloadavg()[0]
    finally:
        for process in (writer, server):
            if process is not None:
                process.terminate()
        for process in (writer, server):
            if process is not None:
                try:
                    process.wait(120)  # an evaluation in flight finishes its chunk... or is killed
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    writes = [json.loads(line) for line in writes_file.read_text().splitlines()] if writes_file.exists() else []
    writes_file.unlink(missing_ok=True)
    database = sa.make_url(url).get_backend_name()  # --store-url may name either
    print(f"\n{args.staff} staff for {elapsed:.0f} s on {database} ({facts['results']:,} cadres, "
          f"{facts['flagged']:,} flagged), writer: {args.writer}; nproc {os.cpu_count()}, load average "
          f"{load_before:.1f} at the start, {load_after:.1f} at the end")
    figures = report(recorder, writes, elapsed)
    if args.json:
        arguments = {**vars(args), "as_of": args.as_of.isoformat()}
        facts_kept = {k: v for k, v in facts.items() if k not in ("people", "units")}
        Path(args.json).write_text(json.dumps({"args": arguments, "facts": facts_kept, **figures}, indent=1))
    if schema and args.drop:
        with sa.create_engine(POSTGRES).begin() as c:
            c.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    main()

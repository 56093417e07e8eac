"""Evaluate a synthetic province, and see whether an evaluation's cost follows what changed (issue 13).

    .venv/bin/python bench/evaluate_province.py --cadres 100000                          # SQLite, readable lines
    .venv/bin/python bench/evaluate_province.py --cadres 100000 --store postgres --json   # one JSON object on stdout
    .venv/bin/python bench/evaluate_province.py --cadres 1000000 --store postgres --reuse # keep a store between runs

The store holds N cadres (``--cadres``, default 100,000) in units (cohorts) of about 125, 500 courses in 7
categories, each cadre with a rank and a category in the profile and about 8 completions with their grades. It is
built once with bulk inserts (PostgreSQL: COPY) and kept: SQLite in ``/tmp/moodle_bridge_bench_<N>.db``, PostgreSQL
in its own database ``moodle_bridge_bench_<N>`` on the server of ``MOODLE_BRIDGE_TEST_POSTGRES_URL`` (default
``postgres@127.0.0.1:5432``; never the tests' own database). ``--rebuild`` drops it and builds it again. A kept store
that already holds evaluations (an earlier run of this script) is dropped and rebuilt, so that "first" is really the
first; ``--reuse`` instead empties every table but the mirror and the sync's bookkeeping (evaluations, results,
flags, the ledger, differences, the change table...) and deletes the rows an earlier run added to the mirror: much
quicker at a million cadres, on a store that has been written to before.

Then four steps, in this order on the same store, each evaluation in a child process of its own (its peak memory,
max RSS, is that evaluation's alone; its wall time is the ``evaluate`` call's alone):

1. ``first``: as of 2026-11-21, on the store as built: posts every credit to the empty ledger.
2. ``unchanged``: as of 2026-11-22, nothing changed since (the nightly case of a quiet day).
3. ``one_percent``: 1% of the cadres (fixed seed) each complete one more course on 2026-11-22 (a completion and its
   grade, 80 of 100, written to the mirror tables by this script before the child starts); as of 2026-11-23.
4. ``rules_edit``: one group's requirement raised by 10 hours (the county-level leaders' if there is such a group)
   in a copy of config/rules.example.yaml under /tmp; as of 2026-11-24.

Every change is a plain row write to the mirror tables, as the sync makes them: whatever the store keeps track of
changes by (its triggers) sees them as it would in production. ``--full`` asks every step for a full evaluation
(``incremental=False``, where ``evaluate`` has that keyword); ``--workers N`` sets how many processes judge an
evaluation of everyone (0: none, the evaluation's own process judges); ``peak_tree_rss_mib_by_step`` is the
largest memory of the evaluation's process and its workers together, sampled twice a second.
Progress goes to stderr; ``--json`` prints one object on stdout at the end: wall seconds and peak memory
(MiB) of each step, cadres judged, credits posted, flags (of "first"; ``flags_by_step`` for each), the phases'
seconds, and the commit of the moodle_bridge evaluated. To measure another checkout's code, put it first on
``PYTHONPATH`` and run from outside /work/main (the current folder would come first):
``cd /tmp && PYTHONPATH=/path/to/checkout /work/main/.venv/bin/python /work/main/bench/...``.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import random
import resource
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "config" / "rules.example.yaml"
EDITED_RULES = Path("/tmp/moodle_bridge_bench_rules_edit.yaml")
RANKS = ["county_leader", "section_chief", "deputy_section_chief", "staff", "village_cadre"]
WEIGHTS = [0.03, 0.15, 0.2, 0.5, 0.12]
COURSES = range(2, 502)
ZONE = ZoneInfo("Asia/Shanghai")
YEAR_START = 1767196800  # 2026-01-01 00:00 Asia/Shanghai; the build's completions fall in its first 320 days
CHANGE_DAY = int(datetime(2026, 11, 22, tzinfo=ZONE).timestamp())  # the day of the one_percent step's completions
POSTGRES = os.environ.get("MOODLE_BRIDGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
STEPS = {  # step: (as of, rules file)
    "first": (date(2026, 11, 21), RULES),
    "unchanged": (date(2026, 11, 22), RULES),
    "one_percent": (date(2026, 11, 23), RULES),
    "rules_edit": (date(2026, 11, 24), EDITED_RULES),
}
KEPT_TABLES = {"alembic_version", "sync_runs", "sync_partitions", "sync_state"}  # and mirror_*: what --reuse keeps


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- the store ------------------------------------------------------------------------------------------------------

def build(url: str, cadres: int) -> None:
    """Fill an empty store (created and upgraded here) with the synthetic province; PostgreSQL through COPY."""
    from moodle_bridge.store import connect, upgrade
    from moodle_bridge.store.schema import mirror_categories, mirror_cohorts, mirror_courses

    rng = random.Random(2026)  # the same draws, in the same order, as the earlier builds: the same province
    engine = connect(url)
    upgrade(engine)
    postgres = engine.dialect.name == "postgresql"
    started = time.perf_counter()
    with engine.begin() as c:
        c.execute(sa.insert(mirror_categories), [
            {"id": i, "name": f"Category {i}", "idnumber": "CAT-RR" if i == 8 else f"CAT-{i}", "parent": 0,
             "path": f"/{i}", "visible": True} for i in range(2, 9)])
        c.execute(sa.insert(mirror_courses), [
            {"id": i, "shortname": f"C{i}", "fullname": f"Course {i}", "idnumber": "CT2026-PT26-001" if i == 2
             else f"CT2026-{i:04d}", "categoryid": 2 + i % 7, "visible": True, "startdate": YEAR_START,
             "enddate": YEAR_START + 365 * 86400, "completion_enabled": True,
             "hours": None if 2 + i % 7 == 8 else float(rng.choice([2, 4, 6, 8, 12])), "training_type": "online_course"}
            for i in COURSES])
        units = max(1, cadres // 125)
        c.execute(sa.insert(mirror_cohorts), [{"id": u, "name": f"Unit {u}", "idnumber": f"UNIT-{u:05d}",
                                               "visible": True} for u in range(1, units + 1)])
    columns = {
        "mirror_users": ("id", "username", "idnumber", "firstname", "lastname", "email", "department", "suspended",
                         "cadre_id", "profile"),
        "mirror_cohort_members": ("cohort_id", "user_id"),
        "mirror_completions": ("course_id", "user_id", "time_completed", "precision", "road"),
        "mirror_grades": ("course_id", "user_id", "grade", "grademax", "graded_at"),
    }
    chunk = 50_000
    for first in range(0, cadres, chunk):
        rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in columns}
        for k in range(first, min(cadres, first + chunk)):
            uid = 10 + k
            rank = rng.choices(RANKS, WEIGHTS)[0]
            profile = {"cadre_id": f"CD{k:07d}", "rank": rank, "category": "civil_servant"}
            rows["mirror_users"].append((uid, f"u{uid}", f"CD{k:07d}", "Cadre", str(k), None, None, False,
                                         f"CD{k:07d}", json.dumps(profile)))
            rows["mirror_cohort_members"].append((1 + k % units, uid))
            for course in rng.sample(COURSES, max(1, round(rng.gauss(8, 1.5)))):
                when = YEAR_START + rng.randrange(0, 320 * 86400)
                rows["mirror_completions"].append((course, uid, when, "minute", "report"))
                rows["mirror_grades"].append((course, uid, float(rng.randrange(40, 101)), 100.0, when))
        with engine.begin() as c:
            for table, names in columns.items():
                if postgres:  # COPY: executemany would take most of an hour for the ~8M completions of a million
                    raw = c.connection.driver_connection
                    assert raw is not None
                    with raw.cursor() as cursor, cursor.copy(
                            f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                        for row in rows[table]:
                            copy.write_row(row)
                else:
                    c.exec_driver_sql(f"INSERT INTO {table} ({', '.join(names)}) "
                                      f"VALUES ({', '.join('?' for _ in names)})", rows[table])
        say(f"  {min(cadres, first + chunk):,} of {cadres:,} cadres written ({time.perf_counter() - started:.0f} s)")
    engine.dispose()
    database = sa.make_url(url).database or ""
    if postgres and database.startswith("moodle_bridge_bench_"):  # what autovacuum does some time after a bulk load:
        with _server(url, database) as server:  # planner statistics, the visibility map (this bench's database only)
            server.execute("VACUUM (ANALYZE)")
    say(f"built {cadres:,} cadres in {time.perf_counter() - started:.0f} s")


def _server(url: str, database: str | None = "postgres") -> Any:
    """A psycopg connection (autocommit) to ``database`` on the PostgreSQL server of ``url``."""
    import psycopg

    u = sa.make_url(url)
    return psycopg.connect(host=u.host, port=u.port, user=u.username, password=u.password, dbname=database,
                           autocommit=True)


def store_url(kind: str, cadres: int) -> str:
    if kind == "sqlite":
        return f"sqlite:///{Path(f'/tmp/moodle_bridge_bench_{cadres}.db')}"
    return sa.make_url(POSTGRES).set(database=f"moodle_bridge_bench_{cadres}").render_as_string(hide_password=False)


def drop(url: str) -> None:
    """Remove the bench's store; PostgreSQL: drop its database and create it empty."""
    u = sa.make_url(url)
    if u.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{u.database}{suffix}").unlink(missing_ok=True)
        return
    assert u.database and u.database.startswith("moodle_bridge_bench_"), u.database  # never the tests' database
    with _server(url) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{u.database}"')


def ensure_database(url: str) -> None:
    u = sa.make_url(url)
    if u.get_backend_name() != "postgresql":
        return
    with _server(url) as server:
        if not server.execute("SELECT 1 FROM pg_database WHERE datname = %s", (u.database,)).fetchone():
            server.execute(f'CREATE DATABASE "{u.database}"')


def reset(engine: sa.Engine) -> None:
    """--reuse: the store as built, evaluated never: an earlier run's mirror rows deleted, every table but the mirror
    and the sync's bookkeeping emptied (those the code has now, whatever their names: reflected from the store)."""
    from moodle_bridge.store.schema import mirror_completions, mirror_grades

    with engine.begin() as c:  # first, so that whatever they leave in a change table is emptied with it
        c.execute(sa.delete(mirror_grades).where(mirror_grades.c.graded_at >= CHANGE_DAY))
        c.execute(sa.delete(mirror_completions).where(mirror_completions.c.time_completed >= CHANGE_DAY))
    reflected = sa.MetaData()
    reflected.reflect(engine)
    emptied = [t.name for t in reversed(reflected.sorted_tables)
               if t.name not in KEPT_TABLES and not t.name.startswith("mirror_")]
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            c.exec_driver_sql(f"TRUNCATE {', '.join(emptied)} RESTART IDENTITY")
        else:  # twice: a DELETE fires the store's row triggers, which may write to a table already emptied
            for name in emptied + emptied:
                c.exec_driver_sql(f'DELETE FROM "{name}"')
    say(f"reused the store: emptied {', '.join(emptied)}")


def prepare(url: str, cadres: int, rebuild: bool, reuse: bool) -> float | None:
    """The store ready for "first"; the seconds it took to build it, or None when it was kept."""
    from moodle_bridge.store import connect, upgrade
    from moodle_bridge.store.schema import evaluations, mirror_users

    if rebuild:
        drop(url)
    ensure_database(url)
    engine = connect(url)
    upgrade(engine)  # a store built by an older version: the current schema first
    with engine.connect() as c:
        users = c.execute(sa.select(sa.func.count()).select_from(mirror_users)).scalar_one()
        evaluated = c.execute(sa.select(sa.func.count()).select_from(evaluations)).scalar_one()
    why = ("empty" if not users else f"holds {users:,} cadres, not {cadres:,}" if users != cadres
           else "holds evaluations of an earlier run (--reuse empties them instead)" if evaluated and not reuse
           else None)
    if why is None:
        if evaluated:
            reset(engine)
        engine.dispose()
        return None
    engine.dispose()
    say(f"building the store ({why}): {sa.make_url(url).render_as_string()}")
    if users or evaluated:
        drop(url)
    started = time.perf_counter()
    build(url, cadres)
    return time.perf_counter() - started


# --- the changes between steps --------------------------------------------------------------------------------------

def change_one_percent(url: str, cadres: int) -> int:
    """1% of the cadres complete one more course each on 2026-11-22 (a completion and its grade); plain inserts."""
    from moodle_bridge.store import connect
    from moodle_bridge.store.schema import mirror_completions, mirror_grades

    rng = random.Random(13)
    users = [10 + k for k in sorted(rng.sample(range(cadres), max(1, cadres // 100)))]
    engine = connect(url)
    done: dict[int, set[int]] = defaultdict(set)
    with engine.begin() as c:
        for start in range(0, len(users), 900):
            part = users[start:start + 900]
            for course, user in c.execute(sa.select(mirror_completions.c.course_id, mirror_completions.c.user_id)
                                          .where(mirror_completions.c.user_id.in_(part))):
                done[user].add(course)
        completions, grades = [], []
        for user in users:
            course = rng.choice([k for k in COURSES if k not in done[user]])
            when = CHANGE_DAY + 9 * 3600 + rng.randrange(0, 8 * 60) * 60  # a minute of 09:00-17:00
            completions.append({"course_id": course, "user_id": user, "time_completed": when, "precision": "minute",
                                "road": "report"})
            grades.append({"course_id": course, "user_id": user, "grade": 80.0, "grademax": 100.0, "graded_at": when})
        c.execute(sa.insert(mirror_completions), completions)
        c.execute(sa.insert(mirror_grades), grades)
    engine.dispose()
    return len(users)


def edit_rules() -> str:
    """A copy of the example rules with one group's hours raised by 10; what was changed, in words."""
    data = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    groups = data["groups"]
    name = next((g for g in groups if "county" in g or "leader" in g), next(iter(groups)))
    requirement = next(r for r in groups[name]["requirements"] if r.get("kind") in ("min_hours", "window"))
    before = requirement["hours"]
    requirement["hours"] = before + 10
    EDITED_RULES.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return f"{name}: {requirement['kind']} hours {before} -> {before + 10}"


# --- one step, in a child process -----------------------------------------------------------------------------------

class TreeMemory(threading.Thread):
    """The largest resident memory of this process and its workers together, sampled twice a second (a worker's own
    max RSS is no use: a spawned process starts as a fork of this one)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop, self.peak = threading.Event(), 0

    def run(self) -> None:
        while not self.stop.wait(0.5):
            self.peak = max(self.peak, sum(_rss_kib(pid) for pid in _tree(os.getpid())))


def _tree(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            children += [int(c) for c in task.read_text().split()]
    return [pid, *(p for child in children for p in _tree(child))]


def _rss_kib(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def run_step(spec: dict[str, Any]) -> None:
    from moodle_bridge.services.evaluation import evaluate
    from moodle_bridge.services.rules_file import load_rules
    from moodle_bridge.store import connect

    engine = connect(store_url(spec["store"], spec["cadres"]))  # not on the command line: no password there
    loaded = load_rules(spec["rules"])
    accepted = inspect.signature(evaluate).parameters
    options: dict[str, Any] = {"incremental": False} if spec["full"] and "incremental" in accepted else {}
    if spec.get("workers") is not None and "workers" in accepted:
        options["workers"] = spec["workers"]
    timings: dict[str, float] = {}
    sampler = TreeMemory()
    sampler.start()
    started = time.perf_counter()
    summary = evaluate(engine, loaded, "2026", date.fromisoformat(spec["as_of"]), timings, **options)
    wall = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    engine.dispose()
    print(json.dumps({"wall_s": round(wall, 1), "peak_rss_mib": round(peak),
                      "peak_tree_rss_mib": round(sampler.peak / 1024),
                      "judged": getattr(summary, "judged", None),
                      "posted": summary.posted, "flags": summary.flags, "statuses": summary.statuses,
                      "phases_s": timings}))


def child(step: str, store: str, cadres: int, full: bool, workers: int | None = None) -> dict[str, Any]:
    as_of, rules = STEPS[step]
    spec = {"store": store, "cadres": cadres, "as_of": as_of.isoformat(), "rules": str(rules), "full": full,
            "workers": workers}
    say(f"{step}: evaluating as of {as_of} ...")
    out = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], stdout=subprocess.PIPE, text=True)
    if out.returncode:
        sys.exit(f"{step}: the evaluation failed (exit {out.returncode}); its output above")
    return json.loads(out.stdout.strip().splitlines()[-1])


def commit() -> tuple[Path, str | None, bool]:
    """Where the moodle_bridge evaluated comes from (PYTHONPATH may name another checkout), its commit's short hash
    (None outside a git checkout), and whether its moodle_bridge/ has changes not committed."""
    import moodle_bridge

    code = Path(moodle_bridge.__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=code, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "moodle_bridge"], cwd=code, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return code, None, False
    return code, head or None, bool(dirty)


def readable(step: str, r: dict[str, Any]) -> str:
    judged = "?" if r["judged"] is None else f"{r['judged']:,}"
    phases = ", ".join(f"{k} {v}" for k, v in r["phases_s"].items())
    return (f"{step}: {r['wall_s']} s, peak {r['peak_rss_mib']:,} MiB, judged {judged}, posted {r['posted']:,}, "
            f"flags {r['flags']:,} ({phases})")


def main() -> None:
    parser = argparse.ArgumentParser(description="Evaluate a synthetic province: first, unchanged, 1% changed, "
                                     "rules edited.")
    parser.add_argument("--cadres", type=int, default=100_000)
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--json", action="store_true", help="one JSON object of figures on stdout, at the end")
    parser.add_argument("--rebuild", action="store_true", help="drop the store and build it again")
    parser.add_argument("--reuse", action="store_true",
                        help="a store an earlier run evaluated: empty its evaluations and ledger instead of rebuilding")
    parser.add_argument("--full", action="store_true", help="ask every step for a full evaluation")
    parser.add_argument("--workers", type=int, help="processes that judge an evaluation of everyone (where "
                        "evaluate has the keyword; 1: in the evaluation's own process; default: its own default)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_step(json.loads(args.child))
        return
    url = store_url(args.store, args.cadres)
    built = prepare(url, args.cadres, args.rebuild, args.reuse)
    results: dict[str, dict[str, Any]] = {}
    changed, edit = 0, ""
    for step in STEPS:
        if step == "one_percent":
            changed = change_one_percent(url, args.cadres)
            say(f"one_percent: {changed:,} cadres completed one more course on 2026-11-22")
        elif step == "rules_edit":
            edit = edit_rules()
            say(f"rules_edit: {edit} ({EDITED_RULES})")
        results[step] = child(step, args.store, args.cadres, args.full, args.workers)
        if not args.json:
            print(readable(step, results[step]), flush=True)
    code, head, dirty = commit()
    figures: dict[str, Any] = {
        "database": "sqlite" if args.store == "sqlite" else "postgresql", "cadres": args.cadres,
        **{f"{step}_s": r["wall_s"] for step, r in results.items()},
        "peak_rss_mib": max(r["peak_rss_mib"] for r in results.values()),
        "peak_rss_mib_by_step": {step: r["peak_rss_mib"] for step, r in results.items()},
        "peak_tree_rss_mib_by_step": {step: r.get("peak_tree_rss_mib") for step, r in results.items()},
        "workers": args.workers,
        "judged_by_step": {step: r["judged"] for step, r in results.items()},
        "posted_by_step": {step: r["posted"] for step, r in results.items()},
        "flags": results["first"]["flags"],
        "flags_by_step": {step: r["flags"] for step, r in results.items()},
        "statuses_by_step": {step: r["statuses"] for step, r in results.items()},
        "phases_s_by_step": {step: r["phases_s"] for step, r in results.items()},
        "changed_cadres": changed, "rules_edit": edit, "full": args.full,
        "built_s": None if built is None else round(built, 1),
        "commit": head, "uncommitted_changes": dirty, "code": str(code),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"store {'kept' if built is None else f'built in {built:.0f} s'}; moodle_bridge from {code}, commit "
              f"{head}{' with uncommitted changes in moodle_bridge/' if dirty else ''}")


if __name__ == "__main__":
    main()

"""Evaluate a synthetic province: N cadres with about 8 completions each, store reads and writes included.

    .venv/bin/python bench/evaluate_province.py --cadres 1000000      # builds the store once, then evaluates
    .venv/bin/python bench/evaluate_province.py --cadres 100000

The store (SQLite, a file under /tmp) is built first with bulk inserts; the evaluation then runs
in a child process, so its peak memory (max RSS) is the evaluation's alone. It runs twice: the first
posts every credit to the empty ledger; the second finds nothing to post (the nightly case).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "config" / "rules.example.yaml"
RANKS = ["county_leader", "section_chief", "deputy_section_chief", "staff", "village_cadre"]
WEIGHTS = [0.03, 0.15, 0.2, 0.5, 0.12]
YEAR_START = 1767196800  # 2026-01-01 00:00 Asia/Shanghai


def build(url: str, cadres: int) -> None:
    from moodle_bridge.store import connect, upgrade
    from moodle_bridge.store.schema import (
        mirror_categories,
        mirror_cohort_members,
        mirror_cohorts,
        mirror_completions,
        mirror_courses,
        mirror_grades,
        mirror_users,
    )

    rng = random.Random(2026)
    engine = connect(url)
    upgrade(engine)
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
            for i in range(2, 502)])
        units = max(1, cadres // 125)
        c.execute(sa.insert(mirror_cohorts), [{"id": u, "name": f"Unit {u}", "idnumber": f"UNIT-{u:05d}",
                                               "visible": True} for u in range(1, units + 1)])
    chunk = 50_000
    for first in range(0, cadres, chunk):
        users, members, completions, grades = [], [], [], []
        for k in range(first, min(cadres, first + chunk)):
            uid = 10 + k
            rank = rng.choices(RANKS, WEIGHTS)[0]
            users.append({"id": uid, "username": f"u{uid}", "idnumber": f"CD{k:07d}", "firstname": "Cadre",
                          "lastname": str(k), "email": None, "department": None, "suspended": False,
                          "cadre_id": f"CD{k:07d}", "profile": {"cadre_id": f"CD{k:07d}", "rank": rank,
                                                                "category": "civil_servant"}})
            members.append({"cohort_id": 1 + k % units, "user_id": uid})
            for course in rng.sample(range(2, 502), max(1, round(rng.gauss(8, 1.5)))):
                when = YEAR_START + rng.randrange(0, 320 * 86400)
                completions.append({"course_id": course, "user_id": uid, "time_completed": when,
                                    "precision": "minute", "road": "report"})
                grades.append({"course_id": course, "user_id": uid, "grade": float(rng.randrange(40, 101)),
                               "grademax": 100.0, "graded_at": when})
        with engine.begin() as c:
            for table, rows in ((mirror_users, users), (mirror_cohort_members, members),
                                (mirror_completions, completions), (mirror_grades, grades)):
                c.execute(sa.insert(table), rows)
    engine.dispose()
    print(f"built {cadres:,} cadres in {time.perf_counter() - started:.0f} s")


def run_once(url: str) -> None:
    from moodle_bridge.services.evaluation import evaluate
    from moodle_bridge.services.rules_file import load_rules
    from moodle_bridge.store import connect, upgrade

    engine = connect(url)
    upgrade(engine)  # a store built by an older version: bring it to the current schema first
    timings: dict = {}
    started = time.perf_counter()
    summary = evaluate(engine, load_rules(RULES), "2026", date(2026, 11, 21), timings)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(json.dumps({"wall_s": round(wall, 1), "peak_gib": round(peak, 2), "posted": summary.posted,
                      "flags": summary.flags, "statuses": summary.statuses, "phases_s": timings}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cadres", type=int, default=100_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_once(args.child)
        return
    path = Path(f"/tmp/moodle_bridge_bench_{args.cadres}.db")
    url = f"sqlite:///{path}"
    if not path.exists():
        build(url, args.cadres)
    for attempt in ("first evaluation (posts every credit)", "second evaluation (nothing to post)"):
        out = subprocess.run([sys.executable, __file__, "--child", url], capture_output=True, text=True, check=True)
        print(attempt, out.stdout.strip())


if __name__ == "__main__":
    main()

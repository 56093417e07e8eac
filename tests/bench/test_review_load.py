"""The review page's load test still runs (bench/review_load.py, BENCHMARKS.md "Review page under load"): a tiny
store, two staff, one round each, every kind of request answered. No figure is checked: timing belongs in
BENCHMARKS.md, not in a test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_load_script_signs_in_browses_and_exports_without_an_error(tmp_path):
    figures = tmp_path / "figures.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "review_load.py"), "--cadres", "250", "--staff", "2", "--rounds", "1",
         "--export-every", "1", "--think", "0", "--ramp", "0", "--writer", "none",
         "--store-path", str(tmp_path / "store.db"), "--json", str(figures)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    answer = json.loads(figures.read_text())
    assert answer["errors"] == 0, answer["error_kinds"]
    assert {"login", "dashboard", "flags", "flags_filtered", "flags_later_page", "cadre"} <= set(answer["kinds"])
    assert {"export_csv", "export_xlsx"} & set(answer["kinds"])

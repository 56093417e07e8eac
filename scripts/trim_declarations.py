"""Copy into the simulator Moodle's declarations of the functions it answers.

    .venv/bin/python scripts/trim_declarations.py

The source is tests/fixtures/moodle/functions.json (generated from a real Moodle 5.1); the
simulator ships only the part it needs. tests/simulator/test_declarations.py checks the copy.
"""

from __future__ import annotations

import json
from pathlib import Path

from moodle_bridge.simulator.functions import BATCH, HANDLERS

ROOT = Path(__file__).resolve().parents[1]
source = json.loads((ROOT / "tests/fixtures/moodle/functions.json").read_text())
wanted = sorted({*HANDLERS, BATCH})
trimmed = {"service_functions": sorted(source), "functions": {name: source[name] for name in wanted}}
target = ROOT / "moodle_bridge/simulator/declarations.json"
target.write_text(json.dumps(trimmed, indent=1, sort_keys=True) + "\n")
print(f"wrote {len(wanted)} declarations to {target.relative_to(ROOT)}")

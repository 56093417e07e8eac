"""Copy into the simulator Moodle's declarations of the functions it answers.

    .venv/bin/python scripts/trim_declarations.py

The source is tests/fixtures/moodle/functions.json (generated from a real Moodle 5.1); the
simulator ships only the part it needs. A function the lab's service did not hold has no
declaration there: it is taken from tests/fixtures/moodle_source/functions.json, written by hand
from Moodle's source (its SOURCE.md says from where), and listed under "from_source".
tests/simulator/test_contract.py checks the copy.
"""

from __future__ import annotations

import json
from pathlib import Path

from moodle_bridge.simulator.functions import BATCH, HANDLERS

ROOT = Path(__file__).resolve().parents[1]
source = json.loads((ROOT / "tests/fixtures/moodle/functions.json").read_text())
from_source = json.loads((ROOT / "tests/fixtures/moodle_source/functions.json").read_text())
wanted = sorted({*HANDLERS, BATCH})
missing = [name for name in wanted if name not in source and name not in from_source]
if missing:
    raise SystemExit(f"no declaration for {', '.join(missing)}: record it, or write it from Moodle's source")
trimmed = {
    "service_functions": sorted(source),
    "functions": {name: source[name] if name in source else from_source[name] for name in wanted},
    "from_source": sorted(name for name in wanted if name not in source),
}
target = ROOT / "moodle_bridge/simulator/declarations.json"
target.write_text(json.dumps(trimmed, indent=1, sort_keys=True) + "\n")
print(f"wrote {len(wanted)} declarations to {target.relative_to(ROOT)}")

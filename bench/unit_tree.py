"""What a unit tree costs the read model at a province (issue 14): the tree made, every unit's tally rolled up
along it, the table put in tree order, a reviewer's reach, a cadre's unit chosen among their cohorts.

    .venv/bin/python bench/unit_tree.py                  # 1 province, 100 counties of 80 units: 8,101 units
    .venv/bin/python bench/unit_tree.py --counties 20    # a smaller one

Pure Python on made-up tallies (no store): the dashboard and the units report do this once per evaluation and
scope (remembered), on top of reading the tallies. Prints milliseconds per step, the best of --repeat runs.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Callable

from moodle_bridge.results.tree import in_tree_order, rolled_up
from moodle_bridge.rules.units import Unit, UnitTree
from moodle_bridge.store.unit_tallies import UnitTally


def _best(repeat: int, step: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return round(min(times) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--units", type=int, default=80, help="units in each county")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    units = [Unit("P", "Province"), *(Unit(f"C{c}", f"County {c}", "P") for c in range(args.counties)),
             *(Unit(f"C{c}-U{u}", f"Unit {c}-{u}", f"C{c}") for c in range(args.counties) for u in range(args.units))]
    tree = UnitTree.of(units)
    own = {u.code: UnitTally(u.name, Counter({"compliant": 60, "at_risk": 40}), 125_000_000, 30, 20,
                             Counter({"insufficient_hours": 20})) for u in units if "-U" in u.code}
    rolled = rolled_up(own, tree)
    figures = {
        "units": len(tree.units),
        "tree_ms": _best(args.repeat, lambda: UnitTree.of(units)),
        "roll_up_ms": _best(args.repeat, lambda: rolled_up(own, tree)),
        "tree_order_ms": _best(args.repeat, lambda: in_tree_order(rolled, tree)),
        "reach_of_a_county_ms": _best(args.repeat, lambda: tree.subtrees(["C1"])),
        # milliseconds for a thousand calls: microseconds a call
        "deepest_of_3_cohorts_us": _best(args.repeat,
                                         lambda: [tree.deepest(["X", "C1", "C1-U1"]) for _ in range(1000)]),
    }
    print(figures)


if __name__ == "__main__":
    main()

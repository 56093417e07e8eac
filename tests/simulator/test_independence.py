"""The simulator is a second, independent reading of Moodle: it imports nothing of the client or
the sync (or anything else of moodle_bridge), so the contract tests compare two readings."""

from __future__ import annotations

import ast
from pathlib import Path

import moodle_bridge.simulator as simulator


def test_the_simulator_imports_only_itself_and_third_party_code():
    offending = []
    for path in Path(simulator.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level >= 2 or (node.level == 0 and module.startswith("moodle_bridge")
                                       and not module.startswith("moodle_bridge.simulator")):
                    offending.append(f"{path.name}: from {'.' * node.level}{module}")
            elif isinstance(node, ast.Import):
                offending += [f"{path.name}: import {a.name}" for a in node.names
                              if a.name.startswith("moodle_bridge")
                              and not a.name.startswith("moodle_bridge.simulator")]
    assert offending == []

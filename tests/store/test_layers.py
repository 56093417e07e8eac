"""The store is the bottom room: none of its modules imports anything of ours above it."""

from __future__ import annotations

import ast
from pathlib import Path

import moodle_bridge.store

STORE = Path(moodle_bridge.store.__file__).parent
# What the store may import of ours: itself and the shared kernel.
ALLOWED = ("moodle_bridge.store", "moodle_bridge.config", "moodle_bridge.i18n", "moodle_bridge.log")


def _imports(path: Path) -> list[str]:
    package = "moodle_bridge." + ".".join(path.relative_to(STORE.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.append(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                found.append(node.module)
    return found


def test_the_store_imports_nothing_above_it():
    upward = {f"{path.relative_to(STORE)}: {name}" for path in STORE.rglob("*.py") for name in _imports(path)
              if name.startswith("moodle_bridge") and not name.startswith(ALLOWED)}
    assert upward == set()

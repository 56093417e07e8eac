"""The layers' habits that import-linter cannot see: no private name is imported from another module."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "moodle_bridge"


def private_imports() -> list[str]:
    """`from x import _name` across modules: a helper someone else may change without looking here."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")
                         and a.name != "_"]  # `_` is gettext's, public by convention
                if names:
                    where = path.relative_to(PACKAGE.parent)
                    found.append(f"{where}:{node.lineno}: from {'.' * node.level}{node.module or ''} import "
                                 f"{', '.join(names)}")
    return found


def test_no_private_name_is_imported_across_modules():
    assert private_imports() == []


def test_the_check_sees_a_private_import(tmp_path, monkeypatch):
    (tmp_path / "moodle_bridge").mkdir()
    (tmp_path / "moodle_bridge" / "a.py").write_text("from .b import _helper, public\nfrom .i18n import _\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "moodle_bridge")
    assert private_imports() == ["moodle_bridge/a.py:1: from .b import _helper"]

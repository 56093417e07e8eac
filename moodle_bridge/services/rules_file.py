"""Read the rules file and parse it (the parsing, pure, is ``rules/loader.py``)."""

from __future__ import annotations

from pathlib import Path

from ..rules.loader import LoadedRules, RulesError, parse_rules

__all__ = ["LoadedRules", "RulesError", "load_rules"]


def load_rules(path: Path | str) -> LoadedRules:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RulesError([f"{path}: cannot read ({exc.strerror})"]) from None
    return parse_rules(raw, str(path))

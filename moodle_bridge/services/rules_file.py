"""Read the rules file and parse it (the parsing, pure, is ``rules/loader.py``)."""

from __future__ import annotations

from pathlib import Path

from ..config import Settings
from ..rules.loader import LoadedRules, RulesError, parse_rules

__all__ = ["LoadedRules", "RulesError", "load_rules", "load_rules_to_evaluate"]


def load_rules(path: Path | str) -> LoadedRules:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RulesError([f"{path}: cannot read ({exc.strerror})"]) from None
    return parse_rules(raw, str(path))


def load_rules_to_evaluate(settings: Settings, path: Path | str | None = None) -> LoadedRules:
    """The rules an evaluation runs by (the configured file, or ``path``), refused when their time zone is not the
    configuration's: periods and due days follow the rules' zone, every time shown the configuration's, and one
    page must not read in two zones."""
    loaded = load_rules(path or settings.rules.file)
    rules_zone, shown_zone = loaded.rules.organisation.timezone, settings.sync.organisation_timezone
    if rules_zone != shown_zone:
        raise RulesError([f"{path or settings.rules.file}: organisation.timezone is {rules_zone}, but the "
                          f"configuration's sync.organisation_timezone is {shown_zone}: make them the same"])
    return loaded

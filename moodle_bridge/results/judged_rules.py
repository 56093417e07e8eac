"""The rules that judged an evaluation: the text kept by its hash when it was evaluated, parsed again."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Connection, select

from ..rules.loader import RulesError, parse_rules
from ..rules.model import Rules
from ..store.schema import rules_files


def judged_rules(connection: Connection, rules_hash: str) -> Rules | None:
    """The rules of that hash; None for an evaluation older than stored rules texts, or a text this version no longer
    reads (a report then names requirements by their group)."""
    text = connection.execute(select(rules_files.c.text).where(rules_files.c.rules_hash == rules_hash)).scalar()
    return None if text is None else _parsed(rules_hash, text)


@lru_cache(maxsize=16)
def _parsed(rules_hash: str, text: str) -> Rules | None:
    # By hash and text: the same file is parsed once however many training files a unit prints.
    try:
        return parse_rules(text, "stored rules").rules
    except RulesError:
        return None

"""What changed between the mirror and a fresh read (pure).

Lives in the store because the store applies it (``mirror.apply``); the sync computes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]
# A mirror row's key: an int, or a tuple for a composite primary key (the table decides). Typed
# Any because callers index composite keys (``key[1]``) that a Hashable would not allow.
Key = Any
BOOKKEEPING = frozenset({"gone_at", "gone_reason"})


@dataclass
class Changes:
    added: list[Row] = field(default_factory=list)  # new keys
    changed: list[Row] = field(default_factory=list)  # different values, or back after being gone
    gone: list[Key] = field(default_factory=list)  # keys proven gone
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.gone)

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "changed": len(self.changed), "gone": len(self.gone),
                "unchanged": self.unchanged}


def same(mirror_row: Mapping[str, Any], fresh: Mapping[str, Any]) -> bool:
    return all(mirror_row.get(k) == v for k, v in fresh.items() if k not in BOOKKEEPING)


def diff(
    existing: Mapping[Key, Row],
    fresh: Mapping[Key, Row],
    gone_candidates: Iterable[Key] | None = None,
) -> Changes:
    """Compare by key. ``gone_candidates``: the keys a complete read proves gone; by default every
    mirrored key the read did not return (right for full-refresh reads, wrong where absence
    proves nothing, e.g. completions of suspended enrolments)."""
    changes = Changes()
    for key, row in fresh.items():
        before = existing.get(key)
        if before is None:
            changes.added.append(row)
        elif before.get("gone_at") is not None or not same(before, row):
            changes.changed.append(row)
        else:
            changes.unchanged += 1
    candidates = (k for k in existing if k not in fresh) if gone_candidates is None else gone_candidates
    changes.gone = [k for k in candidates if k in existing and existing[k].get("gone_at") is None and k not in fresh]
    return changes

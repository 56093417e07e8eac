"""What a sync run is asked to do (SyncOptions) and what it did (RunSummary)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..store.diff import Changes


@dataclass
class SyncOptions:
    full: bool = False
    only: frozenset[str] | None = None  # None: every entity
    dry_run: bool = False

    def wants(self, entity: str) -> bool:
        return self.only is None or entity in self.only


@dataclass
class RunSummary:
    run_id: int | None  # None: a dry run, recorded nowhere
    kind: str
    road: str = ""
    resumed: bool = False
    dry_run: bool = False
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    oddities: Counter[str] = field(default_factory=Counter)
    rejected: list[str] = field(default_factory=list)  # rows not applied, each named (course, user, why)
    unseen: Counter[str] = field(default_factory=Counter)  # what the road cannot read, by kind
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, entity: str, changes: Changes) -> None:
        self.counts.setdefault(entity, Counter()).update(changes.counts())

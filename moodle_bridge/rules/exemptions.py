"""Exemptions as data: their key, the fingerprint of a set, the rows of an import checked, and what the
rules file's exemptions change in the one exemption table (pure; the store reads and writes them)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .bounds import clamp_date, sane_date
from .model import Exemption

EFFECTS = ("full", "prorate")


@dataclass(frozen=True)
class ExemptionRow:
    """One exemption as the table holds it."""

    key: str
    cadre_id: str
    reason: str
    start: date
    end: date
    effect: str
    line: int = field(default=0, compare=False)  # the line of the file it was imported from (0: none)


def exemption_key(cadre_id: str, reason: str, start: date, end: date, effect: str) -> str:
    """The same exemption, whether from the rules file, an import or the review page."""
    return hashlib.sha256(f"{cadre_id}|{reason}|{start}|{end}|{effect}".encode()).hexdigest()


def row_of(exemption: Exemption) -> ExemptionRow:
    e = exemption
    return ExemptionRow(exemption_key(e.cadre_id, e.reason, e.start, e.end, e.effect), e.cadre_id, e.reason, e.start,
                        e.end, e.effect)


def in_window(cadre_id: str, reason: str, start: date, end: date, effect: str) -> tuple[Exemption, bool]:
    """A stored exemption as the rules use it, its dates moved into the sane window, and whether they moved.
    An older version (or the review page before its bounds) may have stored 0001-01-01 to 9999-12-31: one
    such row must not stop every evaluation. Inside the window it excuses the same days as before."""
    inside = (clamp_date(start), clamp_date(end))
    exemption = Exemption.model_validate({"cadre_id": cadre_id, "reason": reason, "from": inside[0], "to": inside[1],
                                          "effect": effect})
    return exemption, inside != (start, end)


def fingerprint(exemptions: Iterable[Exemption]) -> str:
    """A hash of a set of exemptions (order does not matter), recorded with the results that used it."""
    canonical = sorted(json.dumps(e.model_dump(mode="json", by_alias=True), sort_keys=True) for e in exemptions)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()


@dataclass(frozen=True)
class FileChanges:
    """What the rules file's exemptions change in the table (their source is "rules")."""

    fresh: list[ExemptionRow]  # in the file, in no row yet (any source: imports share the key space)
    withdraw: list[str]  # keys of rows from the file that are no longer in it
    restore: list[str]  # keys of withdrawn rows from the file that are back in it


def file_changes(in_file: Sequence[Exemption], every_key: set[str], from_file: Mapping[str, bool]) -> FileChanges:
    """``from_file``: the rows whose source is the rules file, key -> withdrawn."""
    rows = {r.key: r for r in map(row_of, in_file)}
    return FileChanges([r for k, r in rows.items() if k not in every_key],
                       [k for k, withdrawn in from_file.items() if k not in rows and not withdrawn],
                       [k for k, withdrawn in from_file.items() if k in rows and withdrawn])


def imported_rows(table: Sequence[tuple[int, Sequence[Any]]], source: str) -> tuple[list[ExemptionRow], list[str]]:
    """The rows of an exemptions table (header: cadre id, reason, from, to, effect) and the problems, one a bad row."""
    rows: list[ExemptionRow] = []
    problems: list[str] = []
    header = [str(c or "").strip().lower() for c in table[0][1]] if table else []
    for line, cells in table[1:]:
        item = dict(zip(header, cells, strict=False))
        try:
            start, end = date.fromisoformat(str(item["from"])), date.fromisoformat(str(item["to"]))
            effect = str(item.get("effect") or "prorate").strip()
            cadre_id, reason = str(item.get("cadre id") or "").strip(), str(item.get("reason") or "").strip()
            if effect not in EFFECTS or end < start or not cadre_id or not reason:  # spaces only: blank
                raise ValueError
        except (KeyError, ValueError):
            problems.append(f"{source}:{line}: needs cadre id, reason, from and to (YYYY-MM-DD), "
                            "effect full or prorate")
            continue
        try:
            sane_date(start), sane_date(end)
        except ValueError as exc:
            problems.append(f"{source}:{line}: {exc}")
            continue
        rows.append(ExemptionRow(exemption_key(cadre_id, reason, start, end, effect), cadre_id, reason, start, end,
                                 effect, line))
    return rows, problems


def fresh_rows(rows: Iterable[ExemptionRow], known: set[str]) -> list[ExemptionRow]:
    """The rows not known yet, each once."""
    seen = set(known)
    fresh = []
    for row in rows:
        if row.key not in seen:
            seen.add(row.key)
            fresh.append(row)
    return fresh

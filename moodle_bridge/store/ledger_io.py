"""The credit ledger, offline records, period closures and closing differences in the store.

Every function takes an open connection: the caller owns the transaction. Loaders build the
caller's entries with the constructor it passes (``make``); writers take any object with the
attributes they write (the store knows nothing of the rules).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, func, insert, select, update

from .batches import id_batches
from .bulk import insert_rows
from .schema import closing_differences, credit_entries, offline_records, period_closures

T = TypeVar("T")
EntryMaker = Callable[[str, str, str, float, bool, int, str, str | None], T]
"""make(cadre id, source, period, hours, online, earned at, kind, reason)"""


class EntryLike(Protocol):
    @property
    def cadre_id(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def hours(self) -> float: ...
    @property
    def online(self) -> bool: ...
    @property
    def earned_at(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def detail(self) -> Mapping[str, Any]: ...


def load_ledger(connection: Connection, cadre_ids: Sequence[str], make: EntryMaker[T]) -> list[T]:
    """The ledger entries of these cadres, in the order they were written (without their detail, which nothing
    that adds the ledger up reads: a JSON document an entry to decode)."""
    entries = credit_entries.c
    wanted = select(entries.id, entries.cadre_id, entries.source, entries.period, entries.hours, entries.online,
                    entries.earned_at, entries.kind, entries.reason)
    rows: list[Any] = []
    for batch in id_batches(cadre_ids):
        rows += connection.execute(wanted.where(entries.cadre_id.in_(batch))).fetchall()
    return [make(r.cadre_id, r.source, r.period, r.hours, r.online, r.earned_at, r.kind, r.reason)
            for r in sorted(rows, key=lambda r: r.id)]


def source_entries(connection: Connection, cadre_id: str, source: str, label: str, make: EntryMaker[T]) -> list[T]:
    """The entries of one (cadre, source, period), in the order they were written."""
    return [make(r.cadre_id, r.source, r.period, r.hours, r.online, r.earned_at, r.kind, r.reason)
            for r in connection.execute(select(credit_entries).where(
                credit_entries.c.cadre_id == cadre_id, credit_entries.c.source == source,
                credit_entries.c.period == label).order_by(credit_entries.c.id))]


def post(connection: Connection, entries: Sequence[EntryLike], rules_hash: str | None) -> None:
    """Append entries (``rules_hash``: the rules that decided them; None for staff's own)."""
    if entries:
        now = datetime.now(UTC)
        insert_rows(connection, credit_entries, [
            {"cadre_id": e.cadre_id, "source": e.source, "period": e.period, "hours": e.hours, "online": e.online,
             "earned_at": e.earned_at, "kind": e.kind, "reason": e.reason, "rules_hash": rules_hash,
             "detail": dict(e.detail), "created_at": now} for e in entries])


def adjustments_so_far(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(credit_entries)
                                  .where(credit_entries.c.kind == "adjustment")).scalar() or 0)


# --- offline records ------------------------------------------------------------------------------


class OfflineRowLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def cadre_id(self) -> str: ...
    @property
    def training(self) -> str: ...
    @property
    def organiser(self) -> str | None: ...
    @property
    def start(self) -> date: ...
    @property
    def end(self) -> date: ...
    @property
    def days(self) -> float | None: ...
    @property
    def hours(self) -> float | None: ...
    @property
    def leave_hours(self) -> float: ...
    @property
    def kind(self) -> str | None: ...
    @property
    def reference(self) -> str | None: ...


def store_offline(connection: Connection, rows: Sequence[OfflineRowLike], source_name: str) -> tuple[int, int]:
    """Store imported offline rows not stored before (idempotent): (rows stored now, rows already stored)."""
    known = {r.row_key for r in connection.execute(select(offline_records.c.row_key))}
    fresh = [r for r in rows if r.key not in known]
    if fresh:
        now = datetime.now(UTC)
        connection.execute(insert(offline_records), [
            {"row_key": r.key, "cadre_id": r.cadre_id, "training": r.training, "organiser": r.organiser,
             "start": r.start, "end": r.end, "days": r.days, "hours": r.hours, "leave_hours": r.leave_hours,
             "kind": r.kind, "reference": r.reference, "source_file": source_name, "line": r.line,
             "imported_at": now} for r in fresh])
    return len(fresh), len(rows) - len(fresh)


def withdraw_offline(connection: Connection, row_id: int, reason: str) -> bool:
    """Mark an imported row withdrawn; False when there is no such row not yet withdrawn."""
    done = connection.execute(update(offline_records).where(
        offline_records.c.id == row_id, offline_records.c.withdrawn_at.is_(None)).values(
        withdrawn_at=datetime.now(UTC), withdraw_reason=reason)).rowcount
    return bool(done)


# --- closing ---------------------------------------------------------------------------------------


def is_closed(connection: Connection, label: str) -> bool:
    return connection.execute(select(period_closures).where(period_closures.c.period == label)).first() is not None


def close(connection: Connection, label: str, evaluation_id: int) -> None:
    connection.execute(insert(period_closures).values(period=label, closed_at=datetime.now(UTC),
                                                      evaluation_id=evaluation_id))


@dataclass(frozen=True)
class DifferenceLine:
    """A difference found in a closed period, and its state (pending, accepted, rejected, superseded)."""

    id: int
    period: str
    cadre_id: str
    source: str
    certified_hours: float
    new_hours: float
    new_online: bool
    new_earned_at: int
    state: str


def _line(r: Any) -> DifferenceLine:
    return DifferenceLine(r.id, r.period, r.cadre_id, r.source, r.certified_hours, r.new_hours, bool(r.new_online),
                          r.new_earned_at or 0, r.state)


def differences(connection: Connection, label: str | None = None) -> list[DifferenceLine]:
    query = select(closing_differences).order_by(closing_differences.c.id)
    if label:
        query = query.where(closing_differences.c.period == label)
    return [_line(r) for r in connection.execute(query)]


def pending_difference(connection: Connection, difference_id: int) -> DifferenceLine | None:
    row = connection.execute(select(closing_differences).where(
        closing_differences.c.id == difference_id, closing_differences.c.state == "pending")).first()
    return None if row is None else _line(row)


def decide_difference(connection: Connection, difference_id: int, state: str) -> None:
    connection.execute(update(closing_differences).where(closing_differences.c.id == difference_id).values(
        state=state, decided_at=datetime.now(UTC)))

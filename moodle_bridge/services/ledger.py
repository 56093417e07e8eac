"""The credits ledger as staff change it: adjustments, withdrawn offline rows, closing a period and
deciding the differences found after. The decisions are the rules' (``rules/ledger.py``); the rows
are the store's (``store/ledger_io.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from .. import results
from ..results import LedgerEntry, Source
from ..rules.ledger import Difference, Entry, accepted, adjustment
from ..rules.model import Rules
from ..rules.periods import period
from ..store import ledger_io
from ..store.ledger_io import DifferenceLine

__all__ = ["AlreadyClosed", "CadreLedger", "DifferenceLine", "LedgerEntry", "LedgerError", "NoSuchDifference",
           "NoSuchRow", "NotEvaluated", "adjust", "cadre_ledger", "close_period", "decide", "differences", "withdraw"]


class LedgerError(Exception):
    """The change cannot be made (the subclass says why)."""


class AlreadyClosed(LedgerError):
    pass


class NotEvaluated(LedgerError):
    pass


class NoSuchRow(LedgerError):
    pass


class NoSuchDifference(LedgerError):
    pass


@dataclass(frozen=True)
class CadreLedger:
    """A cadre's ledger: every entry in the order posted, and the hours each period holds (by period)."""

    entries: list[LedgerEntry]
    totals: dict[str, float]
    sources: dict[str, Source]  # what each entry's source code stands for (a course, an offline training...)


def cadre_ledger(engine: Engine, cadre_id: str) -> CadreLedger:
    with engine.connect() as connection:
        entries = results.cadre_ledger(connection, cadre_id)
        sources = results.cadre_sources(connection, cadre_id, entries)
    totals: dict[str, float] = {}
    for e in entries:
        totals[e.period] = totals.get(e.period, 0.0) + e.hours
    return CadreLedger(entries, dict(sorted(totals.items())), sources)


def adjust(engine: Engine, rules: Rules, cadre_id: str, hours: float, reason: str, label: str,
           online: bool) -> Entry:
    """Add (or, negative, remove) hours by hand, with a reason: the next adjustment's number."""
    with engine.begin() as connection:
        entry = adjustment(ledger_io.adjustments_so_far(connection) + 1, cadre_id, hours, reason, label, online,
                           period(label, rules.organisation).start)
        ledger_io.post(connection, [entry], None)
    return entry


def withdraw(engine: Engine, row_id: int, reason: str) -> None:
    """Withdraw an imported offline row; the next evaluation reverses what it earned."""
    with engine.begin() as connection:
        if not ledger_io.withdraw_offline(connection, row_id, reason):
            raise NoSuchRow(row_id)


def close_period(engine: Engine, label: str) -> int:
    """Certify a period with its latest evaluation (returned): later changes are reported, not applied."""
    with engine.begin() as connection:
        if ledger_io.is_closed(connection, label):
            raise AlreadyClosed(label)
        latest = results.evaluation(connection, label)
        if latest is None:
            raise NotEvaluated(label)
        ledger_io.close(connection, label, latest.id)
    return latest.id


def differences(engine: Engine, label: str | None = None) -> list[DifferenceLine]:
    with engine.connect() as connection:
        return ledger_io.differences(connection, label)


def decide(engine: Engine, difference_id: int, accept: bool) -> None:
    """Accept a waiting difference (the closed period's ledger changes to it) or reject it (it stays certified)."""
    with engine.begin() as connection:
        found = ledger_io.pending_difference(connection, difference_id)
        if found is None:
            raise NoSuchDifference(difference_id)
        if accept:
            difference = Difference(found.period, found.cadre_id, found.source, found.certified_hours,
                                    found.new_hours, found.new_online, found.new_earned_at)
            standing = ledger_io.source_entries(connection, found.cadre_id, found.source, found.period, Entry)
            ledger_io.post(connection, accepted(difference_id, difference, standing), None)
        ledger_io.decide_difference(connection, difference_id, "accepted" if accept else "rejected")

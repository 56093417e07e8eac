"""The audit log of the review page: every review action, login and export, written and read.

Rows are bounded whatever a visitor types: names and targets cut to their columns, each detail value cut short and
the whole detail replaced by a note when it is still too large. The page reads the log a page at a time.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

import structlog
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import OperationalError

from ..store.database import explain
from ..store.schema import audit_log

log = structlog.get_logger("moodle_bridge.web.audit")

MAX_VALUE = 200  # characters of one detail value
MAX_DETAIL = 2000  # characters of the whole detail, as JSON
MAX_DEFERRED = 10_000  # audit lines kept in memory while the store is locked by a writer

# Lines that met a store locked by a sync or an evaluation (SQLite has one writer): written, in order and with
# their own time, with the next line that gets through; each is in the log at once, so a stop loses none.
# Kept per store (an engine), forgotten with it.
_deferred: WeakKeyDictionary[Engine, deque[dict[str, Any]]] = WeakKeyDictionary()
_deferred_lock = threading.Lock()


@dataclass(frozen=True)
class AuditEntry:
    id: int
    staff: str
    action: str
    target: str | None
    detail: dict[str, Any]
    at: datetime


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _bounded(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return _cut(value, MAX_VALUE)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, dict) and depth < 2:
        return {_cut(str(k), MAX_VALUE): _bounded(v, depth + 1) for k, v in list(value.items())[:20]}
    if isinstance(value, list | tuple) and depth < 2:
        return [_bounded(v, depth + 1) for v in value[:20]]
    return _cut(str(value), MAX_VALUE)


def bounded_detail(detail: dict[str, Any]) -> dict[str, Any]:
    """The detail as stored: every value bounded, and the whole no larger than MAX_DETAIL characters of JSON."""
    kept: dict[str, Any] = _bounded(detail)
    if len(json.dumps(kept, ensure_ascii=False, default=str)) > MAX_DETAIL:
        return {"truncated": True}
    return kept


def record(engine: Engine, staff: str, action: str, target: str | None = None, **detail: Any) -> None:
    """One line of the audit log, in a transaction of its own, with any lines deferred before it.

    A store locked by a writer (a sync or an evaluation) defers the line instead of failing what it records (an
    export must not wait two minutes for an evaluation): it is logged at once and written with the next line."""
    line = {"staff": _cut(staff, 100), "action": _cut(action, 32),
            "target": None if target is None else _cut(target, 255), "detail": bounded_detail(detail),
            "at": datetime.now(UTC)}
    with _deferred_lock:
        waiting = _deferred.setdefault(engine, deque(maxlen=MAX_DEFERRED))
        lines = [*waiting, line]
        waiting.clear()
    try:
        with engine.begin() as connection:
            connection.execute(insert(audit_log), lines)
    except OperationalError as exc:
        problem = explain(exc)
        with _deferred_lock:
            waiting.extendleft(reversed(lines))  # back in front, in their order
        if problem is None or problem.kind != "locked":
            raise
        log.warning("audit.deferred", staff=line["staff"], action=line["action"], target=line["target"],
                    detail=line["detail"], waiting=len(waiting))


def page(engine: Engine, number: int, size: int = 100) -> tuple[list[AuditEntry], int]:
    """One page of the log, the newest entries first, and how many entries there are."""
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(audit_log)).scalar() or 0
        rows = [AuditEntry(**r._mapping) for r in connection.execute(
            select(audit_log).order_by(audit_log.c.id.desc()).limit(size).offset((max(1, number) - 1) * size))]
    return rows, total


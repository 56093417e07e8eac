"""The audit log of the review page: every review action, login and export, written and read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from ..store.schema import audit_log


@dataclass(frozen=True)
class AuditEntry:
    id: int
    staff: str
    action: str
    target: str | None
    detail: dict[str, Any]
    at: datetime


def record(engine: Engine, staff: str, action: str, target: str | None = None, **detail: Any) -> None:
    """One line of the audit log, in a transaction of its own."""
    with engine.begin() as connection:
        connection.execute(insert(audit_log).values(staff=staff, action=action, target=target, detail=detail,
                                                    at=datetime.now(UTC)))


def latest(engine: Engine, limit: int = 500) -> list[AuditEntry]:
    """The newest entries first."""
    with engine.connect() as connection:
        return [AuditEntry(**r._mapping) for r in connection.execute(
            select(audit_log).order_by(audit_log.c.id.desc()).limit(limit))]

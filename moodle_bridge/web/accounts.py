"""Staff accounts: argon2 password hashes, roles, unit scope, lock-out after failed logins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import Engine, Row, insert, select, update

from ..store.schema import staff_accounts

HASHER = PasswordHasher()
MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 10


class AccountError(Exception):
    pass


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    role: str
    units: tuple[str, ...]
    language: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def scope(self) -> tuple[str, ...] | None:
        """The unit codes this account may see, as the read model takes them (None: every unit)."""
        return None if self.is_admin else self.units

    def sees(self, unit_code: str) -> bool:
        return self.is_admin or unit_code in self.units


def _staff(row: Row[Any]) -> Staff:
    return Staff(row.id, row.username, row.role, tuple(row.units or []), row.language)


def add(engine: Engine, username: str, password: str, role: str, units: list[str], language: str | None = None) -> None:
    if role not in ("admin", "reviewer"):
        raise AccountError("role is admin or reviewer")
    if role == "reviewer" and not units:
        raise AccountError("a reviewer needs at least one unit code (--unit)")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    with engine.begin() as connection:
        if connection.execute(select(staff_accounts.c.id).where(staff_accounts.c.username == username)).first():
            raise AccountError(f"{username} exists already")
        connection.execute(insert(staff_accounts).values(
            username=username, password_hash=HASHER.hash(password), role=role, units=sorted(set(units)),
            language=language, disabled=False, failed_logins=0, created_at=datetime.now(UTC)))


def set_password(engine: Engine, username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    with engine.begin() as connection:
        if not connection.execute(update(staff_accounts).where(staff_accounts.c.username == username).values(
                password_hash=HASHER.hash(password), failed_logins=0, locked_until=None)).rowcount:
            raise AccountError(f"no account {username}")


def disable(engine: Engine, username: str) -> None:
    with engine.begin() as connection:
        if not connection.execute(update(staff_accounts).where(staff_accounts.c.username == username).values(
                disabled=True)).rowcount:
            raise AccountError(f"no account {username}")


def listing(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [{"username": r.username, "role": r.role, "units": r.units, "language": r.language,
                 "disabled": r.disabled, "locked_until": r.locked_until}
                for r in connection.execute(select(staff_accounts).order_by(staff_accounts.c.username))]


def authenticate(engine: Engine, username: str, password: str) -> Staff | None:
    """The account, or None (wrong name or password, disabled, or locked after repeated failures)."""
    now = datetime.now(UTC)
    with engine.begin() as connection:
        row = connection.execute(select(staff_accounts).where(staff_accounts.c.username == username)).first()
        if row is None:
            HASHER.hash(password)  # same time as a real check: do not reveal which names exist
            return None
        locked = row.locked_until and row.locked_until.replace(tzinfo=row.locked_until.tzinfo or UTC) > now
        if row.disabled or locked:
            return None
        try:
            HASHER.verify(row.password_hash, password)
        except (VerifyMismatchError, InvalidHashError):
            failures = row.failed_logins + 1
            connection.execute(update(staff_accounts).where(staff_accounts.c.id == row.id).values(
                failed_logins=failures,
                locked_until=now + timedelta(minutes=LOCK_MINUTES) if failures >= MAX_FAILURES else None))
            return None
        connection.execute(update(staff_accounts).where(staff_accounts.c.id == row.id).values(
            failed_logins=0, locked_until=None))
        return _staff(row)


def by_id(engine: Engine, staff_id: int) -> Staff | None:
    with engine.connect() as connection:
        row = connection.execute(select(staff_accounts).where(staff_accounts.c.id == staff_id,
                                                              staff_accounts.c.disabled.is_(False))).first()
    return None if row is None else _staff(row)

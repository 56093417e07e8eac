"""Staff accounts: argon2 password hashes, roles, unit scope, lock-out after failed logins, revocable sessions.

Every answer to a sign-in costs one argon2 verify, whether the name exists, is disabled or is locked, so the time
taken says nothing about which names exist. Failures are forgotten once the lock-out window has passed since the last
one, and on success. Each account has a session version, embedded in its sessions and bumped by sign-out, a new
password and disabling: a copied cookie stops working at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import Connection, Engine, Row, insert, select, update

from ..store.schema import staff_accounts

HASHER = PasswordHasher()
# Failures in a row (within the window) that lock the account for everyone: a backstop against guessing from many
# addresses. The review page locks a name for one address after far fewer (web/throttle.py), so that nobody can keep
# another person's account locked from their own desk.
MAX_FAILURES = 50
LOCK_MINUTES = 15  # the lock-out window
MIN_PASSWORD = 10
MAX_USERNAME = 100  # the column's width
MAX_PASSWORD = 1024


class AccountError(Exception):
    pass


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    role: str
    units: tuple[str, ...]
    language: str | None
    session_version: int = 0
    reach: tuple[str, ...] | None = None  # its units with every unit below them in the unit tree (session.py)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def scope(self) -> tuple[str, ...] | None:
        """The unit codes this account may see, as the read model takes them (None: every unit): its units and
        every unit below them."""
        return None if self.is_admin else self.reach if self.reach is not None else self.units

    def sees(self, unit_code: str) -> bool:
        return self.is_admin or unit_code in (self.scope or ())


def _staff(row: Row[Any]) -> Staff:
    return Staff(row.id, row.username, row.role, tuple(row.units or []), row.language, row.session_version)


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=moment.tzinfo or UTC)


@cache
def _dummy_hash() -> str:
    """A hash no password matches, verified when there is no real one, so every refusal costs the same."""
    return HASHER.hash(secrets.token_urlsafe(32))


def refuse(password: str) -> None:
    """Spend on a refusal decided elsewhere what a sign-in costs: one argon2 verify, against no account's hash."""
    _verify(None, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return HASHER.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, InvalidHashError):
        return False


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
        unknown = unknown_units(connection, units)
        if unknown:
            raise AccountError(f"no unit {', '.join(unknown)} in the latest evaluation (its units' codes: "
                               "moodle-bridge report units)")
        connection.execute(insert(staff_accounts).values(
            username=username, password_hash=HASHER.hash(password), role=role, units=sorted(set(units)),
            language=language, disabled=False, failed_logins=0, created_at=datetime.now(UTC)))


def unknown_units(connection: Connection, units: list[str]) -> list[str]:
    """The codes among ``units`` that no unit of the latest evaluation has. Before the first evaluation no unit is
    known and none is refused: an administrator may make accounts before the first sync."""
    from ..results import NoEvaluation, latest, unit_names

    try:
        known = {code for code, _name in unit_names(connection, latest(connection).id)}
    except NoEvaluation:
        return []
    return sorted(set(units) - known)


def set_password(engine: Engine, username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    with engine.begin() as connection:
        if not connection.execute(update(staff_accounts).where(staff_accounts.c.username == username).values(
                password_hash=HASHER.hash(password), failed_logins=0, locked_until=None, last_failed_at=None,
                session_version=staff_accounts.c.session_version + 1)).rowcount:
            raise AccountError(f"no account {username}")


def disable(engine: Engine, username: str) -> None:
    with engine.begin() as connection:
        if not connection.execute(update(staff_accounts).where(staff_accounts.c.username == username).values(
                disabled=True, session_version=staff_accounts.c.session_version + 1)).rowcount:
            raise AccountError(f"no account {username}")


def revoke_sessions(engine: Engine, staff_id: int) -> None:
    """End every session of the account (sign-out): cookies issued before stop working."""
    with engine.begin() as connection:
        connection.execute(update(staff_accounts).where(staff_accounts.c.id == staff_id).values(
            session_version=staff_accounts.c.session_version + 1))


def listing(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [{"username": r.username, "role": r.role, "units": r.units, "language": r.language,
                 "disabled": r.disabled, "locked_until": r.locked_until}
                for r in connection.execute(select(staff_accounts).order_by(staff_accounts.c.username))]


def authenticate(engine: Engine, username: str, password: str) -> Staff | None:
    """The account, or None (wrong name or password, disabled, or locked after repeated failures).

    Blocking (argon2 and the store): call it from a worker thread, never on the event loop.
    """
    now = datetime.now(UTC)
    window = timedelta(minutes=LOCK_MINUTES)
    with engine.begin() as connection:
        row = connection.execute(select(staff_accounts).where(staff_accounts.c.username == username)).first()
        locked_until = _aware(row.locked_until) if row is not None else None
        refused = row is None or row.disabled or (locked_until is not None and locked_until > now)
        matches = _verify(None if refused or row is None else row.password_hash, password)  # always one verify
        if row is None or refused:
            return None
        if not matches:
            last = _aware(row.last_failed_at)
            failures = (row.failed_logins if last is not None and now - last < window else 0) + 1
            connection.execute(update(staff_accounts).where(staff_accounts.c.id == row.id).values(
                failed_logins=failures, last_failed_at=now,
                locked_until=now + window if failures >= MAX_FAILURES else None))
            return None
        connection.execute(update(staff_accounts).where(staff_accounts.c.id == row.id).values(
            failed_logins=0, locked_until=None, last_failed_at=None))
        return _staff(row)


def by_id(engine: Engine, staff_id: int, session_version: int) -> Staff | None:
    """The enabled account whose sessions are still at this version (None: signed out, disabled or re-keyed)."""
    with engine.connect() as connection:
        row = connection.execute(select(staff_accounts).where(
            staff_accounts.c.id == staff_id, staff_accounts.c.disabled.is_(False),
            staff_accounts.c.session_version == session_version)).first()
    return None if row is None else _staff(row)

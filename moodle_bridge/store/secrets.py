"""Random secrets an install makes once and keeps in its store (``install_secrets``): made by the first caller that
needs one, the same ever after. They key hashes that must stay stable from run to run, yet tell nothing to someone
who reads the store without them; none is ever shown."""

from __future__ import annotations

import hmac
import secrets
from hashlib import sha256

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from .schema import install_secrets

SECRET_BYTES = 32


def install_secret(connection: Connection, name: str) -> bytes:
    """The install's secret called ``name``, made (at random) and kept on first use."""
    found = connection.execute(select(install_secrets.c.value).where(install_secrets.c.name == name)).scalar()
    if found is not None:
        return bytes.fromhex(found)
    made = secrets.token_bytes(SECRET_BYTES)
    try:
        with connection.begin_nested():
            connection.execute(insert(install_secrets).values(name=name, value=made.hex()))
    except IntegrityError:  # another run made it meanwhile: theirs holds
        return bytes.fromhex(connection.execute(
            select(install_secrets.c.value).where(install_secrets.c.name == name)).scalar_one())
    return made


def keyed_hash(secret: bytes, *parts: object, length: int = 32) -> str:
    """HMAC-SHA256 of the parts (joined by ":") under ``secret``, as ``length`` hex digits."""
    message = ":".join(str(p) for p in parts).encode("utf-8")
    return hmac.new(secret, message, sha256).hexdigest()[:length]

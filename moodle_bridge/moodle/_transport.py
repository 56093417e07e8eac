"""The limits of one HTTP exchange with Moodle: a total deadline, and a longest answer.

requests' timeouts bound each wait on the socket, so a server (or a proxy) sending one byte a second never trips
them. Here a watchdog thread shuts the exchange's socket when the deadline passes, whatever the exchange is waiting
for (the connection, the headers or the body); the body is read in chunks and refused past the size limit, so a
400 MB answer is never held in memory.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import suppress
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

_current = threading.local()  # the Watch of the exchange this thread is making
CHUNK = 64 * 1024


class Watch:
    """One exchange's deadline: when it passes, the socket of the connection the exchange uses is shut down,
    which ends any read or write waiting on it; ``expired`` then says why the exchange failed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self._connection: HTTPConnection | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="moodle-deadline", daemon=True)

    def __enter__(self) -> Watch:
        _current.watch = self
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        _current.watch = None

    def attach(self, connection: HTTPConnection) -> None:
        self._connection = connection
        if self.expired:
            self._shut()

    def _run(self) -> None:
        if self._done.wait(max(0.0, self.deadline - time.monotonic())):
            return
        self.expired = True
        while not self._done.is_set():  # the socket may not exist yet (still connecting): keep trying until done
            self._shut()
            self._done.wait(0.05)

    def _shut(self) -> None:
        sock = getattr(self._connection, "sock", None)
        if sock is not None:
            with suppress(OSError):
                # The plain socket's shutdown, also for TLS: it wakes the reading thread without touching the
                # TLS state that thread is using.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _attach(connection: HTTPConnection) -> None:
    watch: Watch | None = getattr(_current, "watch", None)
    if watch is not None:
        watch.attach(connection)


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach(self)  # a pooled connection is reused: attach on every request, not on connect
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        _attach(self)  # HTTPS connects (and shakes hands) before the request is written
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach(self)
        super().request(*args, **kwargs)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def _watched(manager: PoolManager) -> PoolManager:
    manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return manager


class WatchedAdapter(HTTPAdapter):
    """requests' adapter whose connections a :class:`Watch` can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watched(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        return _watched(super().proxy_manager_for(proxy, **proxy_kwargs))


class TooLarge(Exception):
    """The answer passed the size limit; ``size`` is how much was seen (or declared)."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def read_body(response: requests.Response, limit: int) -> bytes:
    """The whole (decoded) body, refused with :class:`TooLarge` as soon as it passes ``limit`` bytes."""
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(int(declared))
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(CHUNK):
        size += len(chunk)
        if size > limit:
            raise TooLarge(size)
        chunks.append(chunk)
    return b"".join(chunks)

"""A Moodle call ends: a total deadline per exchange, and a longest answer (issue 11, item 5).

Real servers on 127.0.0.1, each in a thread: one that trickles its answer a byte at a time, one that sends far more
than the limit. The deadlines are far from the servers' own durations (1 s against 60 s and more), so the tests only
assert that the call ended well before the server would have, never a tight upper bound.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from moodle_bridge.moodle import AnswerTooLarge, DeadlineExceeded, MoodleClient, MoodleTimeout

TOKEN = "0a1b2c3d4e5f-very-secret"
NEVER = 60.0  # how long the trickling servers would take; every test must end long before


class Server:
    """A raw HTTP/1.1 server on 127.0.0.1 that answers every request with ``answer(send, stop)``."""

    def __init__(self, answer: Callable[[Callable[[bytes], None], threading.Event], None]) -> None:
        self.stop = threading.Event()
        self.requests = 0
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = self.request.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(body) < length:
                    body += self.request.recv(65536)
                outer.requests += 1
                with contextlib.suppress(OSError):  # the client hung up: what a deadline or a limit does
                    answer(self.request.sendall, outer.stop)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(answer: Callable[[Callable[[bytes], None], threading.Event], None]) -> Server:
        servers.append(Server(answer))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def trickle(data: bytes, send: Callable[[bytes], None], stop: threading.Event, every: float) -> None:
    for byte in data:
        if stop.wait(every):
            return
        send(bytes([byte]))


BODY = b'{"sitename": "County", "username": "bridge", "userid": 2, "siteurl": "x", "functions": []}'


def trickling_body(send: Callable[[bytes], None], stop: threading.Event) -> None:
    """Headers at once, then the body one byte a second: every socket read is quick, the whole takes minutes."""
    body = BODY.ljust(int(NEVER) * 2)
    send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
    trickle(body, send, stop, 1.0)


def trickling_headers(send: Callable[[bytes], None], stop: threading.Event) -> None:
    """Even the status line and the headers come a byte at a time (a slow proxy)."""
    head = b"HTTP/1.1 200 OK\r\n" + b"X-Padding: " + b"a" * 200 + b"\r\n\r\n"
    trickle(head, send, stop, NEVER / len(head))


def huge(send: Callable[[bytes], None], stop: threading.Event) -> None:
    """400 MB with no declared length, as fast as the client takes it."""
    send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[")
    block = b"0," * 32768
    for _ in range(400 * 2**20 // len(block)):
        if stop.is_set():
            return
        send(block)


def declared_huge(send: Callable[[bytes], None], stop: threading.Event) -> None:
    send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n[" % (400 * 2**20))
    stop.wait(NEVER)


def client(url: str, **options: float) -> MoodleClient:
    return MoodleClient(url, TOKEN, sleep=lambda _s: None, **{"read_timeout": 30.0, **options})  # type: ignore[arg-type]


@pytest.mark.parametrize("answer", [trickling_body, trickling_headers], ids=["body", "headers"])
def test_a_trickling_server_ends_at_the_call_deadline_not_never(serve, answer):
    server = serve(answer)
    started = time.monotonic()
    with client(server.url, call_deadline=1.0) as moodle, pytest.raises(DeadlineExceeded) as caught:
        moodle.call("core_webservice_get_site_info")
    took = time.monotonic() - started
    assert took < NEVER / 2  # the server would have gone on for a minute or more
    assert isinstance(caught.value, MoodleTimeout) and not caught.value.retryable
    assert "within 1 s (moodle.call_deadline)" in str(caught.value) and TOKEN not in str(caught.value)
    assert server.requests == 1  # a trickle is not asked again


def test_a_prompt_answer_is_untouched_by_the_deadline(serve):
    def prompt(send: Callable[[bytes], None], stop: threading.Event) -> None:
        send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY)

    server = serve(prompt)
    with client(server.url, call_deadline=NEVER) as moodle:
        for _ in range(3):  # the pooled connection is reused across exchanges, each with its own deadline
            assert moodle.call_raw("core_webservice_get_site_info", {})["sitename"] == "County"
    assert server.requests == 3


@pytest.mark.parametrize("answer", [huge, declared_huge], ids=["streamed", "declared"])
def test_a_huge_answer_is_refused_past_the_limit_not_read_whole(serve, answer):
    server = serve(answer)
    started = time.monotonic()
    with client(server.url, max_answer_bytes=2**20, call_deadline=NEVER) as moodle, \
            pytest.raises(AnswerTooLarge) as caught:
        moodle.call_raw("core_webservice_get_site_info", {})
    assert time.monotonic() - started < NEVER / 2
    assert "longer than 1 MB (moodle.max_answer_mb" in str(caught.value)
    assert server.requests == 1 and not caught.value.retryable


def test_limits_must_be_finite_and_positive():
    for options in ({"call_deadline": float("inf")}, {"read_timeout": float("nan")}, {"max_answer_bytes": 0},
                    {"connect_timeout": -1}):
        with pytest.raises(ValueError, match="finite number above 0"):
            client("http://127.0.0.1:9", **options)


def test_nothing_listening_is_a_connection_error_not_a_deadline():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    from moodle_bridge.moodle import MoodleConnectionError

    with client(f"http://127.0.0.1:{port}", call_deadline=NEVER) as moodle, \
            pytest.raises(MoodleConnectionError, match="could not connect"):
        moodle.call_raw("core_webservice_get_site_info", {})

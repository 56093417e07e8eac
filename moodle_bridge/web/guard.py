"""What every response of the review page carries, and what every request may not exceed.

Security headers on every response (no framing, no inline script, no referrer to other sites, no MIME sniffing);
`Cache-Control: no-store` on everything but the static files (pages and exports hold personal data); request bodies
bounded (413 before a large body is read).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 64 * 1024  # the largest form: a note or a message of a few thousand characters
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


class Guard:
    """ASGI middleware: the headers on every response, and the bound on request bodies."""

    def __init__(self, app: ASGIApp, too_large: Callable[[], Response], max_body: int = MAX_BODY) -> None:
        self.app = app
        self.too_large = too_large
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        length = Headers(scope=scope).get("content-length", "0")
        if not length.isascii() or not length.isdigit() or int(length) > self.max_body:
            await self.too_large()(scope, receive, send_guarded)
            return
        received = 0

        async def receive_bounded() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body:  # a body sent without its length
                raise HTTPException(413)
            return message

        await self.app(scope, receive_bounded, send_guarded)

"""What every handler module shares: the caller, the call's context, Moodle's errors, the registry.

Handlers live in :mod:`.functions` and in modules of their own (:mod:`.messaging`); they register
here with :func:`handler`, and :mod:`.functions` imports the others, so importing it fills
:data:`HANDLERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .data import Site


class SimError(Exception):
    def __init__(self, errorcode: str, message: str, exception: str = "core\\exception\\moodle_exception",
                 debuginfo: str | None = None, module: str = "moodle") -> None:
        super().__init__(message)
        self.errorcode, self.message, self.exception, self.debuginfo = errorcode, message, exception, debuginfo
        self.module = module  # the language file of the message: docs.moodle.org/<version>/en/error/<module>/<code>

    def payload(self, debug: bool) -> dict[str, Any]:
        body = {"exception": self.exception, "errorcode": self.errorcode, "message": self.message}
        if debug and self.debuginfo:
            body["debuginfo"] = self.debuginfo
        return body


@dataclass(frozen=True)
class Caller:
    userid: int
    capable: bool  # False: a token whose role holds webservice/rest:use and nothing else


@dataclass
class Context:
    site: Site
    caller: Caller
    siteurl: str
    service: frozenset[str]


Args = dict[str, Any]  # a call's arguments, validated against Moodle's declarations
JsonObject = dict[str, Any]  # one JSON object of an answer, keys in the order Moodle writes them
Handler = Callable[[Context, Args], Any]
HANDLERS: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn
    return register


def picture(ctx: Context, size: str) -> str:
    """The URL of Moodle's default user picture, at size ``f1`` (large) or ``f2`` (small)."""
    return f"{ctx.siteurl}/theme/image.php/boost/core/{ctx.site.theme_revision}/u/{size}"

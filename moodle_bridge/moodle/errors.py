"""Typed failures of a Moodle web-service call, told apart the way a real Moodle 5.1 lets us.

Moodle answers most errors with HTTP 200 and ``{"exception", "errorcode", "message"}``; the
exception class names vary between versions, so only ``errorcode`` is matched. A few failures
happen before Moodle's error handler runs: web services or REST switched off give HTTP 403 with
an empty body (the two cannot be told apart), maintenance started from the command line gives
HTTP 503 with an HTML page. No message here ever carries the token or the request's fields.
"""

from __future__ import annotations

from typing import Any


class MoodleError(Exception):
    """Anything that went wrong calling Moodle."""

    retryable = False  # whether a read may succeed if simply tried again

    def __init__(
        self,
        message: str,
        *,
        function: str | None = None,
        errorcode: str | None = None,
        debuginfo: str | None = None,
        http_status: int | None = None,
        hint: str | None = None,
    ) -> None:
        if hint is not None:
            self.hint = hint
        self.message = message
        self.function = function
        self.errorcode = errorcode
        self.debuginfo = debuginfo
        self.http_status = http_status
        super().__init__(self._describe())

    hint = ""  # what an administrator can do about it

    def _describe(self) -> str:
        where = f"{self.function}: " if self.function else ""
        code = f" [{self.errorcode}]" if self.errorcode and len(self.errorcode) < 60 else ""
        debug = f" ({self.debuginfo})" if self.debuginfo else ""
        hint = f" {self.hint}" if self.hint else ""
        return f"{where}{self.message}{code}{debug}{hint}"


# Failures before Moodle answered -------------------------------------------------------------


class MoodleConnectionError(MoodleError):
    """No answer: the connection failed or dropped.

    ``never_sent`` is True only when the connection was never established (refused, no route,
    unknown host): then even a write can safely be sent again.
    """

    retryable = True
    hint = "Check moodle.url and that the site is up, then run again."

    def __init__(self, message: str, *, never_sent: bool, **kwargs: Any) -> None:
        self.never_sent = never_sent
        super().__init__(message, **kwargs)


class MoodleTimeout(MoodleError):
    """Moodle did not answer in time; a write may or may not have happened."""

    retryable = True
    hint = "Is the site up and moodle.url right? If it is only busy, raise moodle.read_timeout."


class DeadlineExceeded(MoodleTimeout):
    """The call took longer than its total deadline (``moodle.call_deadline``), answer included.

    Not retried: a site or proxy that trickles its answer would only trickle it again.
    """

    retryable = False
    hint = ("The site, or a proxy in between, answers too slowly; raise moodle.call_deadline only if it is "
            "just busy.")


class AnswerTooLarge(MoodleError):
    """The answer is longer than ``moodle.max_answer_mb``: refused before it is read whole into memory."""

    hint = "Lower moodle.batch_size or sync.report_page_size, or raise moodle.max_answer_mb."


class MoodleHTTPError(MoodleError):
    """An HTTP status Moodle's REST server does not use for its own answers (5xx, 429, 404, ...)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)

    @property
    def retryable(self) -> bool:  # type: ignore[override]
        return self.http_status is not None and (self.http_status >= 500 or self.http_status == 429)


class UnexpectedResponse(MoodleError):
    """HTTP 200 but not Moodle's JSON (a proxy page, XML, a PHP notice): the URL may be wrong."""

    hint = "Check that the configured URL is the Moodle site's root."


class WebServicesUnavailable(MoodleError):
    """HTTP 403 with an empty body: web services or the REST protocol are switched off."""

    hint = (
        "Ask the administrator to enable web services and the REST protocol "
        "(Site administration > Server > Web services)."
    )


class SiteMaintenance(MoodleError):
    """The site is in maintenance mode (set in the admin pages, or from the command line)."""

    retryable = True
    hint = "Try again when maintenance is over."


# Errors Moodle answered with {"exception", "errorcode", "message"} ------------------------


class MoodleAPIError(MoodleError):
    """Moodle refused the call; ``errorcode`` and ``message`` say why (no more specific type)."""


class InvalidToken(MoodleAPIError):
    hint = "Check the token (MOODLE_BRIDGE_MOODLE__TOKEN or the token file); it may have been reset."


class AccessDenied(MoodleAPIError):
    """The token may not call this function: most often it is not in the external service."""

    hint = "Add the function to the 'moodle_bridge' external service (see README, Preparing Moodle)."


class MissingCapability(MoodleAPIError):
    """The integration user's role lacks a capability (Moodle words this in several ways)."""

    hint = "Give the integration user's role the capabilities listed in the README."


class InvalidParameter(MoodleAPIError):
    """A parameter is missing, of the wrong type or unknown (Moodle does not say which
    unless debugging is on)."""


class NotFound(MoodleAPIError):
    """An unknown record: course, user, report, or the function itself."""


class UserNotEnrolled(MoodleAPIError):
    """The user has no ACTIVE enrolment here: not enrolled, suspended or expired.

    It does not prove a completion is gone: keep the last known value.
    """


class LockTimeout(MoodleAPIError):
    """Moodle gave up waiting for a lock: busy, not broken."""

    retryable = True


_BY_ERRORCODE: dict[str, type[MoodleAPIError]] = {
    "invalidtoken": InvalidToken,
    "invalidtimedtoken": InvalidToken,  # the token has expired
    "invalidiptoken": InvalidToken,  # the token is restricted to other IP addresses
    "wsaccessusersuspended": AccessDenied,
    "wsaccessuserdeleted": AccessDenied,
    "wsaccessusernologin": AccessDenied,
    "wsaccessuserexpired": AccessDenied,
    "accessexception": AccessDenied,
    "nopermissions": MissingCapability,
    "requireloginerror": MissingCapability,
    "errorcoursecontextnotvalid": MissingCapability,
    "errorreportview": MissingCapability,
    "nopermissiontoviewgrades": MissingCapability,
    "invalidparameter": InvalidParameter,
    "invalidrecord": NotFound,
    "invalidrecordunknown": NotFound,
    "usernotenroled": UserNotEnrolled,
    "locktimeout": LockTimeout,
    "sessionwaiterr": LockTimeout,
}


def api_error(function: str | None, payload: dict[str, Any]) -> MoodleError:
    """The typed error for Moodle's JSON error answer (also the inner errors of a batch)."""
    errorcode = str(payload.get("errorcode") or "")
    message = str(payload.get("message") or "Moodle reported an error")
    debuginfo = payload.get("debuginfo")
    if errorcode == "sitemaintenance":
        return SiteMaintenance(message, function=function, errorcode=errorcode, debuginfo=debuginfo)
    hint = None  # None: the error class's own hint
    if errorcode.startswith("wsaccessuser"):
        hint = "The integration user is suspended, deleted, expired or cannot log in."
    error_class = _BY_ERRORCODE.get(errorcode, MoodleAPIError)
    return error_class(message, function=function, errorcode=errorcode, debuginfo=debuginfo, hint=hint)

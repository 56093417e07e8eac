"""Turn an HTTP answer of Moodle's REST server into data or a typed error (pure, no I/O)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from .errors import (
    MoodleHTTPError,
    SiteMaintenance,
    UnexpectedResponse,
    WebServicesUnavailable,
    api_error,
)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = parse_http_date(value)
    if when is None:
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP date header as an aware datetime; one without a zone (``-0000``, or a header sent twice and joined)
    is taken as UTC, which HTTP dates always are; None when it is not a date at all."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _kind_of(body: bytes) -> str:
    head = body.lstrip()[:200].lower()
    if head.startswith(b"<?xml"):
        return "an XML document (is moodlewsrestformat forced to xml by a proxy?)"
    if head.startswith((b"<!doctype html", b"<html")):
        return "an HTML page (is the URL the Moodle site's root?)"
    if not head:
        return "an empty body"
    return "text that is not JSON (PHP notices on the page? debugging display on?)"


def _is_maintenance_page(headers: Mapping[str, str], body: bytes, reason: str) -> bool:
    """Moodle's CLI maintenance answer: status line "503 Moodle under maintenance", an HTML page in
    the site's language (not always English) and ``Retry-After: 300``."""
    if "maintenance" in reason.lower() or b"maintenance" in body[:4096].lower():
        return True
    return bool(headers.get("Retry-After")) and body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))


def interpret(function: str, status: int, headers: Mapping[str, str], body: bytes, reason: str = "") -> Any:
    """The decoded JSON of a successful call, or raise the matching :class:`MoodleError`."""
    if status == 403 and not body.strip():
        raise WebServicesUnavailable(
            "web services or the REST protocol are disabled (HTTP 403, empty body)",
            function=function, http_status=status,
        )
    if 300 <= status < 400:
        raise UnexpectedResponse(
            f"HTTP {status}: Moodle redirects the web-service endpoint to {headers.get('Location', '?')}",
            function=function, http_status=status,
            hint="Set moodle.url to the site's address as Moodle's wwwroot has it (https? www?).",
        )
    if status == 503 and _is_maintenance_page(headers, body, reason):
        raise SiteMaintenance(
            "the site is in maintenance mode (HTTP 503)", function=function, http_status=status
        )
    if status != 200:
        raise MoodleHTTPError(
            f"HTTP {status} from the web-service endpoint",
            function=function, http_status=status,
            retry_after=parse_retry_after(headers.get("Retry-After")),
        )
    try:
        data = json.loads(body)
    except ValueError:
        raise UnexpectedResponse(
            f"the answer is {_kind_of(body)}", function=function, http_status=status
        ) from None
    if isinstance(data, dict) and "exception" in data and "errorcode" in data:
        raise api_error(function, data)
    return data

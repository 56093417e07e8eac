"""The Moodle web-service client: encoding, errors, retries, typed answers."""

from .client import Call, MoodleClient, RetryPolicy, parse_response
from .errors import (
    AccessDenied,
    AnswerTooLarge,
    DeadlineExceeded,
    InvalidParameter,
    InvalidToken,
    LockTimeout,
    MissingCapability,
    MoodleAPIError,
    MoodleConnectionError,
    MoodleError,
    MoodleHTTPError,
    MoodleTimeout,
    NotFound,
    SiteMaintenance,
    UnexpectedResponse,
    UserNotEnrolled,
    WebServicesUnavailable,
)
from .functions import FUNCTIONS, WSFunction

__all__ = [
    "FUNCTIONS",
    "AccessDenied",
    "AnswerTooLarge",
    "Call",
    "DeadlineExceeded",
    "InvalidParameter",
    "InvalidToken",
    "LockTimeout",
    "MissingCapability",
    "MoodleAPIError",
    "MoodleClient",
    "MoodleConnectionError",
    "MoodleError",
    "MoodleHTTPError",
    "MoodleTimeout",
    "NotFound",
    "RetryPolicy",
    "SiteMaintenance",
    "UnexpectedResponse",
    "UserNotEnrolled",
    "WSFunction",
    "WebServicesUnavailable",
    "parse_response",
]

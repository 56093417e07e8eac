"""Moodle's token endpoint, ``/login/token.php``, as Moodle 5.1 answers it.

What a user's name and password are checked by when a client (the mobile app, or moodle_bridge's cadre sign-in)
asks for that user's token of a service. Read from Moodle's ``login/token.php``, ``core_external\\util::
generate_token_for_current_user`` and ``core_renderer_ajax::fatal_error``:

- POST ``username``, ``password``, ``service`` (the service's short name). The name is trimmed and lower-cased.
- Every answer is HTTP 200 and JSON. Success: ``{"token": ..., "privatetoken": ...}`` (the private token only over
  HTTPS and for a user who is no site administrator, else null). A refusal: ``{"error": message, "errorcode": code,
  "stacktrace": null, "debuginfo": null, "reproductionlink": null}`` (the script is an AJAX script).
- ``enablewsdescription``: web services are off (checked first). ``missingparam``: a parameter is missing.
  ``invalidlogin``: no such user, a wrong password, a suspended or deleted user, a user locked out after too many
  failures: one answer for all (``authenticate_user_login`` returns false for each). ``sitemaintenance``: maintenance
  mode, for anyone but an administrator. ``servicenotavailable``: no enabled service of that short name (5.1 checks
  it after the password; 5.2 before). ``cannotcreatetoken``: another service than the mobile app's, and the user
  may not create tokens.
- An existing valid token of the user for the service is answered again; otherwise one is made (valid 12 weeks).
- Account lockout (Site administration > Security > Site security settings, ``lockoutthreshold``): a wrong password
  counts against an existing user; at the threshold the account is locked (``lockoutduration``) and even the right
  password is refused. 0 (the simulator's default) never locks.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Protocol

from .data import Site
from .protocol import Caller


class Host(Protocol):
    """What the endpoint needs of the simulated Moodle (server.SimulatedMoodle)."""

    site: Site
    siteurl: str
    maintenance: bool
    tokens: dict[str, Caller]
    _lock: threading.RLock

TOKEN_PATH = "/login/token.php"
MOBILE_SERVICE = "moodle_mobile_app"  # MOODLE_OFFICIAL_MOBILE_SERVICE
TOKEN_WEEKS = 12  # $CFG->tokenduration's default
MESSAGES = {
    "enablewsdescription": "Web services must be enabled in Advanced features.",
    "invalidlogin": "Invalid login, please try again",
    "servicenotavailable": "Web service is not available (it doesn't exist or might be disabled)",
    "sitemaintenance": "The site is undergoing maintenance and is currently not available",
    "cannotcreatetoken": "No permission to create web service token for the service {service}.",
}


@dataclass
class TokenEndpoint:
    """The site settings and state behind ``/login/token.php``."""

    moodle: Host
    web_services: bool = True  # Site administration > General > Advanced features > Enable web services
    # Enabled services by short name; "Enable web services for mobile devices" enables the mobile app's.
    services: set[str] = field(default_factory=lambda: {MOBILE_SERVICE})
    lockout_threshold: int = 0  # failures that lock an account; 0: never
    failures: dict[int, int] = field(default_factory=dict)
    locked: set[int] = field(default_factory=set)
    issued: dict[tuple[int, str], str] = field(default_factory=dict)  # (user id, service) -> token
    requests: int = 0  # answers given, whatever they were (tests read it)

    def answer(self, fields: list[tuple[str, str]]) -> tuple[int, dict[str, str], bytes]:
        form = dict(fields)
        self.requests += 1
        if not self.web_services:
            return self._refused("enablewsdescription")
        for name in ("username", "password", "service"):
            if name not in form:
                return self._refused("missingparam", f"A required parameter ({name}) was missing")
        username = form["username"].strip().lower()
        site = self.moodle.site
        with self.moodle._lock:
            user = next((u for u in site.users.values() if u.username == username and not u.deleted), None)
            if user is None or user.suspended or user.id in self.locked or user.auth == "nologin":
                return self._refused("invalidlogin")
            if not secrets.compare_digest(form["password"].encode(), user.password.encode()):
                self._failed(user.id)
                return self._refused("invalidlogin")
            self.failures.pop(user.id, None)
            if self.moodle.maintenance and user.id != 2:
                return self._refused("sitemaintenance")
            service = form["service"]
            if service not in self.services:
                return self._refused("servicenotavailable")
            if service != MOBILE_SERVICE:  # only the mobile app's service makes tokens for everyone
                return self._refused("cannotcreatetoken", MESSAGES["cannotcreatetoken"].format(service=service))
            token = self.issued.get((user.id, service))
            if token is None:
                token = secrets.token_hex(16)  # md5(uniqid(rand(), true)): 32 hexadecimal digits
                self.issued[(user.id, service)] = token
                self.moodle.tokens[token] = Caller(user.id, capable=False)
        private = secrets.token_urlsafe(48)[:64] if self.moodle.siteurl.startswith("https:") and user.id != 2 else None
        return self._json({"token": token, "privatetoken": private})

    def _failed(self, userid: int) -> None:
        self.failures[userid] = self.failures.get(userid, 0) + 1
        if self.lockout_threshold and self.failures[userid] >= self.lockout_threshold:
            self.locked.add(userid)

    def _refused(self, errorcode: str, message: str | None = None) -> tuple[int, dict[str, str], bytes]:
        return self._json({"error": message or MESSAGES[errorcode], "errorcode": errorcode, "stacktrace": None,
                           "debuginfo": None, "reproductionlink": None})

    @staticmethod
    def _json(body: object) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode()

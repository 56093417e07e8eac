"""A Moodle user's name and password checked by Moodle itself: its token endpoint, then who the token is.

``login/token.php`` (POST ``username``, ``password``, ``service``) answers the user's token of a service, or a refusal
as JSON (HTTP 200): ``invalidlogin`` for a wrong name or password, a suspended user or one locked out, alike. With the
token, ``core_webservice_get_site_info`` says whose it is (the user id, the name, the language). The token is the
user's own (the mobile app's, reused for 12 weeks): it is used for that one call and dropped, never kept, logged or
revoked (revoking it would sign the user out of the app). Neither the password nor the token appears in any error.

Nothing here is retried: a sign-in answers at once or says it cannot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests

from .client import MoodleClient, RetryPolicy
from .errors import MoodleConnectionError, MoodleError, MoodleTimeout, UnexpectedResponse

TOKEN_PATH = "/login/token.php"
MOBILE_SERVICE = "moodle_mobile_app"  # the service "Enable web services for mobile devices" enables
MAX_ANSWER = 64 * 1024


@dataclass(frozen=True)
class MoodleUser:
    userid: int
    username: str
    lang: str  # the user's language in Moodle, e.g. "en" or "zh_cn"


class SignInRefused(MoodleError):
    """Moodle refused the name and password (or the service): ``errorcode`` says how."""


def _post_token(url: str, username: str, password: str, service: str, timeout: tuple[float, float],
                verify_tls: bool) -> dict[str, Any]:
    try:
        response = requests.post(url + TOKEN_PATH, data={"username": username, "password": password,
                                                         "service": service},
                                 timeout=timeout, verify=verify_tls, allow_redirects=False)
    except requests.Timeout:
        raise MoodleTimeout("Moodle's token endpoint did not answer in time", function="login/token.php") from None
    except requests.RequestException:
        raise MoodleConnectionError("Moodle's token endpoint cannot be reached", function="login/token.php",
                                    never_sent=False) from None
    body = response.content[:MAX_ANSWER + 1]
    try:
        data = json.loads(body) if response.status_code == 200 and len(body) <= MAX_ANSWER else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise UnexpectedResponse(f"Moodle's token endpoint answered HTTP {response.status_code} without its JSON",
                                 function="login/token.php", http_status=response.status_code)
    return data


def probe(url: str, *, service: str = MOBILE_SERVICE, timeout: tuple[float, float] = (5.0, 20.0),
          verify_tls: bool = True) -> str:
    """What the token endpoint answers a made-up name and password: ``invalidlogin`` when it works and checks
    passwords (Moodle 5.2 answers ``servicenotavailable`` first when the service is off); another errorcode says what
    is off. Raises MoodleError when it does not answer as Moodle's does. No real account is tried."""
    data = _post_token(url.rstrip("/"), "moodle_bridge_probe_no_such_user", "not-a-password", service, timeout,
                       verify_tls)
    code = data.get("errorcode")
    if not isinstance(code, str):
        raise UnexpectedResponse("Moodle's token endpoint gave a made-up user a token", function="login/token.php")
    return code


def sign_in(url: str, username: str, password: str, *, service: str = MOBILE_SERVICE,
            timeout: tuple[float, float] = (5.0, 20.0), verify_tls: bool = True) -> MoodleUser:
    """Who ``username`` is in Moodle, when Moodle accepts ``password`` for them. Raises SignInRefused (Moodle said
    no: its errorcode) or another MoodleError (Moodle could not be asked)."""
    url = url.rstrip("/")
    data = _post_token(url, username, password, service, timeout, verify_tls)
    token = data.get("token")
    if not isinstance(token, str) or not token:
        code = data.get("errorcode")
        raise SignInRefused("Moodle refused the sign-in", function="login/token.php",
                            errorcode=code if isinstance(code, str) else "unknown")
    client = MoodleClient(url, token, connect_timeout=timeout[0], read_timeout=timeout[1],
                          call_deadline=sum(timeout), verify_tls=verify_tls, retry=RetryPolicy(attempts=1),
                          batch_size=0)
    try:
        info = client.call("core_webservice_get_site_info")
    finally:
        client.close()
        del token, client  # the user's token is not kept
    return MoodleUser(info.userid, info.username, info.lang)

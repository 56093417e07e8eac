"""Who is signed in, in which language, and the CSRF token every form carries (signed session cookies).

A session names the account and the account's session version when it began; a session of an older version (after a
sign-out, a new password or disabling) is no session at all.
"""

from __future__ import annotations

import secrets
from dataclasses import replace

from sqlalchemy import Engine
from starlette.exceptions import HTTPException
from starlette.requests import Request

from .. import results
from ..i18n import _, available_languages, set_language
from . import accounts


def begin(request: Request, staff: accounts.Staff) -> None:
    """A new session for the account that just signed in."""
    request.session.clear()
    request.session["staff_id"] = staff.id
    request.session["version"] = staff.session_version


def signed_in(request: Request, engine: Engine) -> accounts.Staff:
    """The signed-in account (its language set for the request); anyone else is sent to /login. Blocking."""
    staff_id, version = request.session.get("staff_id"), request.session.get("version")
    staff = (accounts.by_id(engine, staff_id, version)
             if isinstance(staff_id, int) and isinstance(version, int) else None)
    if staff is None:
        raise HTTPException(303, headers={"Location": "/login"})
    if not staff.is_admin:  # a reviewer of a township sees its offices too: the units below theirs, as of now
        with engine.connect() as connection:
            staff = replace(staff, reach=results.reach(connection, staff.units))
    request.state.language = language(request, staff)  # for an error page rendered outside the handler
    set_language(request.state.language)
    return staff


def language(request: Request, staff: accounts.Staff | None) -> str:
    """The account's language, else Chinese for a browser that asks for it, else English.

    Without an account, the one a handler found for this request, if any (error pages are rendered after it)."""
    if staff is None and isinstance(getattr(request.state, "language", None), str):
        return str(request.state.language)
    if staff and staff.language:
        return staff.language
    wanted = request.headers.get("accept-language", "").lower()
    return "zh_CN" if wanted.startswith("zh") and "zh_CN" in available_languages() else "en"


def csrf_token(request: Request) -> str:
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(32)
    token: str = request.session["csrf"]
    return token


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form, refused (403) without this session's CSRF token."""
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    expected = request.session.get("csrf")
    given = form.get("csrf", "").encode("utf-8", "replace")  # bytes: compare_digest refuses non-ASCII text
    if not isinstance(expected, str) or not secrets.compare_digest(given, expected.encode()):
        raise HTTPException(403, _("The form expired or did not come from this site: reload and try again."))
    return form

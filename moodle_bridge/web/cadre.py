"""A cadre's own page: a cadre signs in with their Moodle name and password and sees their own training file only.

Moodle checks the password (its token endpoint, ``moodle.token_login``): nothing here stores it, and the cadre's token
is used once to learn who they are and dropped. The Moodle user is the cadre the latest evaluation judged them as
(``results.own``); a Moodle user who is no cadre is refused like a wrong password.

A cadre session is another kind of session than a staff one: it names the cadre (``cadre_id``) and no staff account,
so every staff route sends it to the staff sign-in (303) as it does anyone signed out, and a staff session has no
cadre, so the cadre routes send it to the cadre sign-in. Signing in as one ends the other (a new session). A cadre's
routes take no cadre id: there is no other cadre to ask for. A cadre session lasts an hour; signing out ends it
and every copy of its cookie (kept in memory: a restart forgets it, and the hour still bounds it).

Sign-ins are throttled like the staff's (web/throttle.py): 5 failures for one name from one address refuse that name
there for 15 minutes (before Moodle's own lock-out of the account, if the site sets one, is reached from here), and
20 from one address refuse the address. The name is counted as Moodle reads it, trimmed and lower-cased ('Alice' and
'alice' are one account), and an address's cadre failures are counted apart from its staff sign-ins' (a busy office
of cadres does not lock the staff out). Only Moodle's ``invalidlogin`` is a failure: any other refusal (the mobile
app's service or web services off, cadres not allowed a token, maintenance) is Moodle's settings or state, not the
cadre's password; it is logged for the administrator (its errorcode, never the password) and answered 503. A few
sign-ins are checked with Moodle at once; more are refused (503) rather than queued.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from math import ceil

import structlog
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .. import results
from ..i18n import DAY, _, available_languages, from_moodle, local_time, set_language
from ..moodle.errors import MoodleError
from ..moodle.token_login import MoodleUser, SignInRefused
from ..reports import pdf, training_file
from ..results.own import cadre_of_user
from . import accounts, audit
from .handlers import BUSY_RETRY_SECONDS, CADRE_WORDS, PER_ADDRESS_FAILURES, PER_NAME_FAILURES
from .pages import Pages
from .session import checked_form, language
from .throttle import Throttle

log = structlog.get_logger("moodle_bridge.web.cadre")

# Checks a Moodle user's name and password with Moodle: who they are, or SignInRefused / another MoodleError.
SignIn = Callable[[str, str], MoodleUser]

SESSION_MINUTES = 60  # a cadre session's life: a page read on a phone, not a working day
SIGN_INS_AT_ONCE = 8  # sign-ins waiting on Moodle at once; more are refused (503) rather than queued
MAX_REVOKED = 100_000
LOGIN = "/me/login"
WRONG_PASSWORD = "invalidlogin"  # Moodle's one answer for a wrong name or password, a suspended or locked-out user
MAINTENANCE = "sitemaintenance"  # Moodle is in maintenance mode: it ends by itself


@dataclass(frozen=True)
class Cadre:
    cadre_id: str
    language: str


@dataclass(frozen=True)
class Checked:
    """What asking Moodle came to: the cadre (None: refused as a wrong password), their page's language, or why
    Moodle could not answer (``unavailable``: a refusal that is Moodle's settings or state, not the cadre's)."""

    cadre_id: str | None = None
    language: str | None = None
    unreachable: bool = False
    unavailable: str | None = None  # Moodle's errorcode


def _name_key(address: str, username: str) -> tuple[str, str]:
    """The per-name counter's key: the name as Moodle reads it (login/token.php trims and lower-cases it)."""
    return address, username.strip().lower()


class CadrePages:
    def __init__(self, engine: Engine, pages: Pages, sign_in: SignIn | None,
                 pdf_renders: threading.BoundedSemaphore) -> None:
        self.engine = engine
        self.pages = pages
        self.sign_in = sign_in  # None: cadres' sign-in is not offered (web.cadre_sign_in off)
        window = accounts.LOCK_MINUTES * 60
        self.per_name = Throttle(PER_NAME_FAILURES, window)
        self.per_address = Throttle(PER_ADDRESS_FAILURES, window)  # apart from the staff sign-in's
        self.sign_ins = threading.BoundedSemaphore(SIGN_INS_AT_ONCE)
        self.pdf_renders = pdf_renders
        self._revoked: OrderedDict[str, float] = OrderedDict()  # session nonce -> when it would have ended
        self._revoked_lock = threading.Lock()

    # --- the session --------------------------------------------------------------------------------

    def _begin(self, request: Request, cadre_id: str, lang: str | None) -> None:
        request.session.clear()  # a staff session in this browser ends here
        request.session.update({"cadre_id": cadre_id, "cadre_nonce": secrets.token_urlsafe(16),
                                "cadre_since": time.time()})
        if lang:
            request.session["cadre_lang"] = lang

    def signed_in(self, request: Request) -> Cadre:
        """The signed-in cadre (their language set); anyone else (a staff session too) goes to the cadre sign-in."""
        session = request.session
        cadre_id, nonce, since = session.get("cadre_id"), session.get("cadre_nonce"), session.get("cadre_since")
        valid = (isinstance(cadre_id, str) and isinstance(nonce, str) and isinstance(since, int | float)
                 and 0 <= time.time() - since < SESSION_MINUTES * 60)
        if valid:
            with self._revoked_lock:
                valid = nonce not in self._revoked
        if not valid or not isinstance(cadre_id, str):
            raise HTTPException(303, headers={"Location": LOGIN})
        lang = session.get("cadre_lang")
        chosen = lang if isinstance(lang, str) and lang in available_languages() else language(request, None)
        request.state.language = chosen
        set_language(chosen)
        return Cadre(cadre_id, chosen)

    def _revoke(self, request: Request) -> None:
        nonce, since = request.session.get("cadre_nonce"), request.session.get("cadre_since")
        if not isinstance(nonce, str) or not isinstance(since, int | float):
            return
        now = time.time()
        with self._revoked_lock:
            self._revoked[nonce] = since + SESSION_MINUTES * 60
            while self._revoked and (len(self._revoked) > MAX_REVOKED or next(iter(self._revoked.values())) < now):
                self._revoked.popitem(last=False)  # the oldest first: sessions end in the order they began

    # --- signing in and out ---------------------------------------------------------------------------

    def _not_offered(self) -> HTTPException:
        return HTTPException(404, _("Cadres do not sign in here: ask the organisation department."))

    def login_page(self, request: Request) -> HTMLResponse:
        set_language(language(request, None))
        if self.sign_in is None:
            raise self._not_offered()
        return self.pages.render(request, "me_login.html.j2", None)

    def _refused(self, request: Request, status: int, error: str, retry_after: float | None = None) -> HTMLResponse:
        page = self.pages.render(request, "me_login.html.j2", None, status=status, error=error)
        if retry_after is not None:
            page.headers["Retry-After"] = str(max(1, ceil(retry_after)))
        return page

    def _check(self, username: str, password: str, address: str) -> Checked:
        """Blocking: Moodle asked (unless this name is locked for this address), then the audit line and the
        counters. A refusal other than a wrong password is no failure: logged, neither audited nor counted."""
        assert self.sign_in is not None
        key = _name_key(address, username)
        cadre_id, lang = None, None
        if not self.per_name.retry_after(key):
            try:
                user = self.sign_in(username, password)
            except SignInRefused as exc:
                if exc.errorcode == MAINTENANCE:
                    log.warning("cadre.moodle_in_maintenance", errorcode=exc.errorcode)
                    return Checked(unreachable=True)
                if exc.errorcode != WRONG_PASSWORD:  # Moodle's settings: the administrator's to fix, not the cadre's
                    log.error("cadre.sign_in_unavailable", errorcode=exc.errorcode,
                              hint="Moodle refused a cadre's sign-in for a setting, not the password: run "
                                   "moodle-bridge doctor (README, Preparing Moodle, step 11)")
                    return Checked(unavailable=exc.errorcode)
                log.info("cadre.sign_in_refused", errorcode=exc.errorcode)
            except MoodleError as exc:
                log.warning("cadre.moodle_unreachable", error=type(exc).__name__)
                return Checked(unreachable=True)
            else:
                with self.engine.connect() as connection:
                    cadre_id = cadre_of_user(connection, user.userid)
                lang = from_moodle(user.lang)
                if cadre_id is None:
                    log.info("cadre.not_a_cadre", userid=user.userid)
        audit.record(self.engine, username or "?", "cadre_login" if cadre_id else "cadre_login_failed", cadre_id)
        if cadre_id is None:
            self.per_name.fail(key)
            self.per_address.fail(address)
        else:
            self.per_name.clear(key)
        return Checked(cadre_id, lang)

    async def login(self, request: Request) -> Response:
        set_language(language(request, None))
        if self.sign_in is None:
            raise self._not_offered()
        form = await checked_form(request)
        username, password = form.get("username", "").strip(), form.get("password", "")
        if len(username) > accounts.MAX_USERNAME or len(password) > accounts.MAX_PASSWORD:
            raise HTTPException(400, _("The name or the password is too long."))
        address = request.client.host if request.client else "?"
        wait = self.per_address.retry_after(address)
        if wait:
            return self._refused(request, 429, _("Too many failed sign-ins from this computer: try again in {n} "
                                                 "minutes.").format(n=ceil(wait / 60)), wait)
        if not username or not password:
            return self._refused(request, 401, _("Wrong Moodle name or password, or no training record for this "
                                                 "account yet."))
        if not self.sign_ins.acquire(blocking=False):
            return self._refused(request, 503, _("Many people are signing in at once: try again in a moment."), 5)
        try:
            checked = await run_in_threadpool(self._check, username, password, address)
        finally:
            self.sign_ins.release()
        if checked.unreachable:
            return self._refused(request, 503, _("Moodle cannot be reached just now: try again in a few minutes."), 60)
        if checked.unavailable:
            return self._refused(request, 503, _("Cadres cannot sign in just now: Moodle is not set up for it. Please "
                                                 "tell the organisation department."), 600)
        if checked.cadre_id is None:
            return self._refused(request, 401, _("Wrong Moodle name or password, or no training record for this "
                                                 "account yet."))
        self._begin(request, checked.cadre_id, checked.language)
        return RedirectResponse("/me", status_code=303)

    async def logout(self, request: Request) -> Response:
        await checked_form(request)
        if isinstance(request.session.get("cadre_id"), str):
            self._revoke(request)
            await run_in_threadpool(audit.record, self.engine, str(request.session["cadre_id"]), "cadre_logout")
        request.session.clear()
        return RedirectResponse(LOGIN, status_code=303)

    # --- the cadre's own file ------------------------------------------------------------------------

    def _file(self, cadre: Cadre) -> results.CadreFile:
        try:
            with self.engine.connect() as connection:
                return results.cadre_file(connection, cadre.cadre_id)
        except (results.NoEvaluation, KeyError):
            raise HTTPException(404) from None

    def home(self, request: Request) -> HTMLResponse:
        cadre = self.signed_in(request)
        file = self._file(cadre)
        return self.pages.render(request, "me.html.j2", None, evaluation=file.evaluation, cadre=file.result,
                                 ledger=file.entries, file=file, flags=file.flags, **CADRE_WORDS,
                                 today=local_time(datetime.now(UTC), DAY))

    def training_file(self, request: Request) -> Response:
        """The cadre's own training file to print: HTML (its stylesheet beside it) or PDF, each audited."""
        cadre = self.signed_in(request)
        fmt = request.path_params["fmt"]
        if fmt == "css":
            return Response(training_file.stylesheet(), media_type="text/css")
        if fmt not in ("html", "pdf"):
            raise HTTPException(404)
        file = self._file(cadre)
        if fmt == "html":
            audit.record(self.engine, cadre.cadre_id, "cadre_training_file", cadre.cadre_id, format=fmt)
            return HTMLResponse(training_file.html([file], stylesheet_href="file.css"))
        if not self.pdf_renders.acquire(blocking=False):
            raise HTTPException(503, _("Other training files are being made just now: try again in a few seconds."),
                                headers={"Retry-After": str(BUSY_RETRY_SECONDS)})
        try:
            document = pdf.pdf_bytes(training_file.html([file]))
        except pdf.PdfUnavailable as exc:
            raise HTTPException(503, str(exc)) from None
        finally:
            self.pdf_renders.release()
        audit.record(self.engine, cadre.cadre_id, "cadre_training_file", cadre.cadre_id, format=fmt)
        name = re.sub(r"[^A-Za-z0-9_-]+", "_", file.result.cadre_id)
        return Response(document, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="training-file-{name}.pdf"'})

"""The review page: organisation staff review flagged cadres of their own units.

The routes and the wiring (session middleware, the guard, error pages); the handlers are in `handlers.py`, the writes
in `review.py`, the reads in `moodle_bridge.results`. Sessions are signed cookies (HttpOnly, SameSite=Lax, Secure over
HTTPS) that sign-out, a new password and disabling revoke; every form carries a CSRF token; every review action,
login and export is written to the audit log.

The page waits only briefly for the store: while a sync or an evaluation holds a write lock, a request that needs it
answers 503 with Retry-After after `busy_timeout` seconds instead of hanging.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..i18n import _, set_language
from .cadre import CadrePages, SignIn
from .guard import Guard
from .handlers import BUSY_RETRY_SECONDS, Handlers
from .pages import Pages
from .session import language

HERE = Path(__file__).parent
BUSY_TIMEOUT = 3.0  # seconds the page waits for a lock held by a sync or an evaluation
SESSION_HOURS = 8


def wait_briefly(engine: Engine, seconds: float) -> None:
    """Make the engine's connections give up waiting for a lock after ``seconds`` (new connections from now)."""
    millis = max(1, int(seconds * 1000))

    @event.listens_for(engine, "connect")
    def _lock_wait(dbapi_connection: Any, _record: Any) -> None:  # the driver's own objects
        cursor = dbapi_connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute(f"PRAGMA busy_timeout={millis}")
        elif engine.dialect.name == "postgresql":
            cursor.execute(f"SET lock_timeout = {millis}")
        cursor.close()
        if engine.dialect.name == "postgresql":
            dbapi_connection.commit()

    engine.dispose()  # connections made before wait with the store's own timeout


def _lock_wait(exc: OperationalError) -> bool:
    original = exc.orig
    return "database is locked" in str(original) or "database table is locked" in str(original) or getattr(
        original, "sqlstate", None) in ("55P03", "40P01")  # PostgreSQL: lock not available, deadlock


def create_app(engine: Engine, secret_key: str, https_only: bool = False, stale_hours: float = 36.0,
               busy_timeout: float = BUSY_TIMEOUT, cadre_sign_in: SignIn | None = None) -> Starlette:
    """The review page; ``cadre_sign_in`` (Moodle's check of a cadre's name and password) offers cadres their own
    page at /me (web/cadre.py), else /me answers 404."""
    wait_briefly(engine, busy_timeout)
    pages = Pages()
    page = Handlers(engine, pages, stale_hours)
    me = CadrePages(engine, pages, cadre_sign_in, page.pdf_renders)

    async def error_page(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 303:
            return RedirectResponse((exc.headers or {})["Location"], status_code=303)
        set_language(language(request, None))  # the handler's language stayed in its thread
        page = pages.error(exc.status_code, exc.detail or "")
        if exc.headers and "Retry-After" in exc.headers:  # a busy refusal says when to come back
            page.headers["Retry-After"] = exc.headers["Retry-After"]
        return page

    async def store_busy(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, OperationalError)
        set_language(language(request, None))
        detail = (_("The store is busy: a sync or an evaluation is writing to it. Try again in a few seconds.")
                  if _lock_wait(exc) else _("The store cannot be reached just now. Try again in a few seconds."))
        response = pages.error(503, detail)
        response.headers["Retry-After"] = str(BUSY_RETRY_SECONDS)
        return response

    routes = [
        Route("/login", page.login_page, methods=["GET"], name="login_page"),
        Route("/login", page.login, methods=["POST"], name="login"),
        Route("/logout", page.logout, methods=["POST"], name="logout"),
        Route("/", page.dashboard, methods=["GET"], name="dashboard"),
        Route("/flags", page.flags, methods=["GET"], name="flags"),
        Route("/flags/export.{fmt:str}", page.export, methods=["GET"], name="export"),
        Route("/cadres/{cadre_id:str}", page.cadre, methods=["GET"], name="cadre"),
        Route("/cadres/{cadre_id:str}/review", page.review, methods=["POST"], name="review"),
        Route("/cadres/{cadre_id:str}/file.{fmt:str}", page.training_file, methods=["GET"], name="training_file"),
        Route("/units/{unit_code:str}/files.{fmt:str}", page.unit_files, methods=["GET"], name="unit_files"),
        Route("/audit", page.audit_page, methods=["GET"], name="audit"),
        Route("/promotion", page.promotion_page, methods=["GET"], name="promotion_page"),
        Route("/promotion", page.promotion, methods=["POST"], name="promotion"),
        Route("/promotion/export.{fmt:str}", page.promotion_export, methods=["POST"], name="promotion_export"),
        Route("/assessment", page.assessment, methods=["GET"], name="assessment"),
        Route("/assessment/export.{fmt:str}", page.assessment, methods=["GET"], name="assessment_export"),
        # A cadre's own page (signed in with their Moodle account; their own file only).
        Route("/me/login", me.login_page, methods=["GET"], name="cadre_login_page"),
        Route("/me/login", me.login, methods=["POST"], name="cadre_login"),
        Route("/me/logout", me.logout, methods=["POST"], name="cadre_logout"),
        Route("/me", me.home, methods=["GET"], name="cadre_home"),
        Route("/me/file.{fmt:str}", me.training_file, methods=["GET"], name="cadre_training_file"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(Guard, too_large=lambda: pages.error(413, _("The request is too large."))),
        Middleware(SessionMiddleware, secret_key=secret_key, session_cookie="moodle_bridge_session",
                   max_age=SESSION_HOURS * 3600, same_site="lax", https_only=https_only),
    ]
    starlette = Starlette(routes=routes, middleware=middleware,
                          exception_handlers={HTTPException: error_page, OperationalError: store_busy})
    starlette.state.review = page
    return starlette

"""The review page: organisation staff review flagged cadres of their own units.

The routes and the wiring (session middleware, error pages); the handlers are in `handlers.py`, the writes in
`review.py`, the reads in `moodle_bridge.results`. Sessions are signed cookies (HttpOnly, SameSite=Lax, Secure over
HTTPS); every form carries a CSRF token; every review action, login and export is written to the audit log.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .handlers import Handlers
from .pages import Pages

HERE = Path(__file__).parent


def create_app(engine: Engine, secret_key: str, https_only: bool = False, stale_hours: float = 36.0) -> Starlette:
    pages = Pages()
    page = Handlers(engine, pages, stale_hours)

    async def error_page(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 303:
            return RedirectResponse((exc.headers or {})["Location"], status_code=303)
        return pages.error(exc.status_code, exc.detail or "")

    routes = [
        Route("/login", page.login_page, methods=["GET"], name="login_page"),
        Route("/login", page.login, methods=["POST"], name="login"),
        Route("/logout", page.logout, methods=["POST"], name="logout"),
        Route("/", page.dashboard, methods=["GET"], name="dashboard"),
        Route("/flags", page.flags, methods=["GET"], name="flags"),
        Route("/flags/export.{fmt:str}", page.export, methods=["GET"], name="export"),
        Route("/cadres/{cadre_id:str}", page.cadre, methods=["GET"], name="cadre"),
        Route("/cadres/{cadre_id:str}/review", page.review, methods=["POST"], name="review"),
        Route("/audit", page.audit_page, methods=["GET"], name="audit"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [Middleware(SessionMiddleware, secret_key=secret_key, session_cookie="moodle_bridge_session",
                             max_age=8 * 3600, same_site="lax", https_only=https_only)]
    starlette = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: error_page})
    starlette.state.review = page
    return starlette

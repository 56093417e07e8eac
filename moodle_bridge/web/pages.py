"""The review page's HTML: its templates, with the labels of statuses and flags (presentation, not data)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ..i18n import _, current_language, local_time
from ..reports.plain import FLAG_KINDS, entry_kind_label, explain, flag_label, remedy, review_label, status_label
from . import accounts
from .session import csrf_token

HERE = Path(__file__).parent


class Pages:
    def __init__(self) -> None:
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                                     autoescape=select_autoescape(["html", "j2"]))
        self.templates.filters["local_time"] = local_time  # every time a page shows: the organisation's zone

    def render(self, request: Request, template: str, staff: accounts.Staff | None, status: int = 200,
               **context: Any) -> HTMLResponse:
        page = self.templates.get_template(template).render(
            _=_, staff=staff, csrf=csrf_token(request), lang=current_language().replace("_", "-"),
            flag_kinds={k: flag_label(k) for k in FLAG_KINDS}, status_label=status_label, flag_label=flag_label,
            explain=explain, remedy=remedy, review_label=review_label, entry_kind_label=entry_kind_label, dict=dict,
            **context)
        return HTMLResponse(page, status_code=status)

    def error(self, code: int, detail: str) -> HTMLResponse:
        """A plain page for a refusal or a failure, in the current language: a heading, what happened, a way back."""
        titles = {400: _("The request cannot be used"), 403: _("Refused"), 404: _("Not found"),
                  413: _("The request is too large"), 503: _("Busy: please try again shortly")}
        page = self.templates.get_template("error.html.j2").render(
            _=_, staff=None, lang=current_language().replace("_", "-"), code=code,
            title=titles.get(code, str(code)), detail=detail)
        return HTMLResponse(page, status_code=code)

"""The review page's handlers: parse the request, ask the read model (or the review service), render.

Every read of cadres is scoped to the signed-in account's units (an admin sees every unit): a reviewer who types
another unit's cadre id gets 404, and exports hold only their units. Every review action, login and export is
written to the audit log.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .. import results
from ..i18n import _, set_language
from ..reports import export
from ..reports.chart import bar_chart
from ..reports.plain import explain, flag_label, status_label
from . import accounts, audit, review
from .pages import Pages
from .session import checked_form, language, signed_in

PAGE_SIZE = 50


def _cadre_query(params: QueryParams) -> results.CadreQuery:
    state = params.get("state")
    return results.CadreQuery(
        unit_code=params.get("unit") or None, kind=params.get("kind") or None, group=params.get("group") or None,
        state=state if state in results.REVIEW_STATES else None,
        search=params.get("q") or None, sort=params.get("sort", "name"), descending=params.get("order") == "desc")


def _page(params: QueryParams) -> int:
    value = params.get("page", "1")
    return max(1, int(value)) if value.isdigit() else 1


def _older_than(moment: datetime | None, hours: float) -> bool:
    if moment is None:
        return True
    return (datetime.now(UTC) - moment.replace(tzinfo=moment.tzinfo or UTC)).total_seconds() > hours * 3600


class Handlers:
    def __init__(self, engine: Engine, pages: Pages, stale_hours: float = 36.0) -> None:
        self.engine = engine
        self.pages = pages
        self.stale_hours = stale_hours

    def _cadre(self, staff: accounts.Staff, cadre_id: str) -> results.CadreFile:
        try:
            with self.engine.connect() as connection:
                return results.cadre_file(connection, cadre_id, units=staff.scope)
        except (results.NoEvaluation, KeyError):
            raise HTTPException(404) from None  # not there, or not in the account's units: the same answer

    # --- signing in and out -----------------------------------------------------------------------

    async def login_page(self, request: Request) -> HTMLResponse:
        set_language(language(request, None))
        return self.pages.render(request, "login.html.j2", None)

    async def login(self, request: Request) -> Response:
        form = await checked_form(request)
        username = form.get("username", "").strip()
        staff = accounts.authenticate(self.engine, username, form.get("password", ""))
        audit.record(self.engine, username or "?", "login" if staff else "login_failed")
        if staff is None:
            set_language(language(request, None))
            return self.pages.render(request, "login.html.j2", None, status=401,
                                     error=_("Wrong name or password, or the account is locked for a while."))
        request.session.clear()  # a new session on sign-in
        request.session["staff_id"] = staff.id
        return RedirectResponse("/", status_code=303)

    async def logout(self, request: Request) -> Response:
        await checked_form(request)
        staff = signed_in(request, self.engine)
        audit.record(self.engine, staff.username, "logout")
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # --- reading ----------------------------------------------------------------------------------

    async def dashboard(self, request: Request) -> HTMLResponse:
        staff = signed_in(request, self.engine)
        with self.engine.connect() as connection:
            overview = results.dashboard(connection, staff.scope)
            last_sync = results.last_sync(connection)
        evaluation = overview.evaluation if overview else None
        units = overview.units if overview else []
        chart = bar_chart([(u.name, u.completion_rate) for u in units]) if units else ""
        return self.pages.render(
            request, "dashboard.html.j2", staff, evaluation=evaluation, units=units,
            kinds=overview.flag_kinds if overview else {}, chart=chart, last_sync=last_sync,
            stale_sync=_older_than(last_sync, self.stale_hours),
            stale_evaluation=_older_than(evaluation.created_at if evaluation else None, self.stale_hours))

    async def flags(self, request: Request) -> HTMLResponse:
        staff = signed_in(request, self.engine)
        with self.engine.connect() as connection:
            evaluation = results.evaluation(connection)
            if evaluation is None:
                return self.pages.render(request, "flags.html.j2", staff, evaluation=None, rows=[], total=0, page=1,
                                         pages=1, units=[], params={})
            found = results.flagged_page(connection, evaluation.id, staff.scope, _cadre_query(request.query_params),
                                         _page(request.query_params), PAGE_SIZE)
            units = results.unit_names(connection, evaluation.id, staff.scope)
        return self.pages.render(request, "flags.html.j2", staff, evaluation=evaluation, rows=found.rows,
                                 total=found.total, page=found.page, pages=found.pages, units=units,
                                 params=dict(request.query_params))

    async def cadre(self, request: Request) -> HTMLResponse:
        staff = signed_in(request, self.engine)
        file = self._cadre(staff, request.path_params["cadre_id"])
        with self.engine.connect() as connection:
            history = results.review_history(connection, file.result.cadre_id)
        return self.pages.render(request, "cadre.html.j2", staff, evaluation=file.evaluation, cadre=file.result,
                                 ledger=file.entries, history=history, flags=file.flags,
                                 today=date.today().isoformat(), message=request.query_params.get("done"))

    async def export(self, request: Request) -> Response:
        staff = signed_in(request, self.engine)
        fmt = request.path_params["fmt"]
        with self.engine.connect() as connection:
            evaluation = results.evaluation(connection)
            if evaluation is None or fmt not in ("csv", "xlsx"):
                raise HTTPException(404)
            rows = results.flagged_cadres(connection, evaluation.id, staff.scope, _cadre_query(request.query_params))
        headers = [_("Cadre ID"), _("Name"), _("Unit"), _("Status"), _("Hours"), _("Review"), _("Flags")]
        table = [[r.result.cadre_id, r.result.name, r.result.unit_name, status_label(r.result.status),
                  round(r.result.hours, 1), r.review,
                  "; ".join(f"{flag_label(f.kind)}: {explain(f.kind, f.evidence)}" for f in r.flags)] for r in rows]
        audit.record(self.engine, staff.username, "export", fmt, rows=len(table), filters=dict(request.query_params))
        sheets = [export.Sheet(_("Flagged cadres"), headers, table)]
        if fmt == "csv":
            return Response(export.csv_bytes(sheets), media_type=export.CSV_MEDIA_TYPE,
                            headers={"Content-Disposition": 'attachment; filename="flagged.csv"'})
        return Response(export.xlsx_bytes(sheets), media_type=export.XLSX_MEDIA_TYPE,
                        headers={"Content-Disposition": 'attachment; filename="flagged.xlsx"'})

    async def audit_page(self, request: Request) -> HTMLResponse:
        staff = signed_in(request, self.engine)
        if not staff.is_admin:
            raise HTTPException(404)
        return self.pages.render(request, "audit.html.j2", staff, rows=audit.latest(self.engine))

    # --- writing ----------------------------------------------------------------------------------

    async def review(self, request: Request) -> Response:
        form = await checked_form(request)
        staff = signed_in(request, self.engine)
        cadre = self._cadre(staff, request.path_params["cadre_id"]).result
        action = review.Action.from_form(form)
        try:
            review.act(self.engine, cadre, action, staff.username)
        except review.ReviewError as exc:
            raise HTTPException(400, str(exc)) from None
        return RedirectResponse(f"/cadres/{cadre.cadre_id}?done={action.kind}", status_code=303)

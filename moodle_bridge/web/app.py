"""The review page: organisation staff review flagged cadres of their own units.

Every query that reads cadres is filtered by the signed-in account's units (an admin sees every
unit): a reviewer who types another unit's cadre id gets 404, and exports hold only their units.
Sessions are signed cookies (HttpOnly, SameSite=Lax, Secure over HTTPS); every form carries a
CSRF token; every review action, login and export is written to the audit log.
"""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine, and_, desc, func, insert, select
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..i18n import N_, _, available_languages, current_language, set_language
from ..reports.cells import WORKBOOK_OPTIONS, safe_cell
from ..reports.chart import bar_chart
from ..reports.plain import explain, flag_label, status_label
from ..rules.evaluate import FLAG_KINDS
from ..store.schema import (
    audit_log,
    credit_entries,
    evaluation_flags,
    evaluation_results,
    evaluations,
    exemptions,
    message_queue,
    review_events,
    sync_runs,
)
from . import accounts

HERE = Path(__file__).parent
PAGE_SIZE = 50
# Review states and kinds kept as data, translated where shown.
WORDS = [N_("open"), N_("reviewed"), N_("excused"), N_("note"), N_("message_queued")]
SORTS = {"name": evaluation_results.c.name, "unit": evaluation_results.c.unit_name,
         "status": evaluation_results.c.status, "hours": evaluation_results.c.hours_online
         + evaluation_results.c.hours_offline}


class ReviewApp:
    def __init__(self, engine: Engine, stale_hours: float = 36.0) -> None:
        self.engine = engine
        self.stale_hours = stale_hours
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                                     autoescape=select_autoescape(["html", "j2"]))

    # --- plumbing ---------------------------------------------------------------------------------

    def staff(self, request: Request) -> accounts.Staff:
        staff_id = request.session.get("staff_id")
        staff = accounts.by_id(self.engine, staff_id) if staff_id else None
        if staff is None:
            raise HTTPException(303, headers={"Location": "/login"})
        set_language(self._language(request, staff))
        return staff

    @staticmethod
    def _language(request: Request, staff: accounts.Staff | None) -> str:
        if staff and staff.language:
            return staff.language
        wanted = request.headers.get("accept-language", "").lower()
        return "zh_CN" if wanted.startswith("zh") and "zh_CN" in available_languages() else "en"

    def csrf(self, request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(32)
        return request.session["csrf"]

    async def form(self, request: Request) -> dict[str, str]:
        form = dict(await request.form())
        expected = request.session.get("csrf")
        if not expected or not secrets.compare_digest(form.get("csrf", ""), expected):
            raise HTTPException(403, _("The form expired or did not come from this site: reload and try again."))
        return form

    def render(self, request: Request, template: str, staff: accounts.Staff | None, status: int = 200,
               **context: Any) -> HTMLResponse:
        page = self.templates.get_template(template).render(
            _=_, staff=staff, csrf=self.csrf(request), lang=current_language().replace("_", "-"),
            flag_kinds={k: flag_label(k) for k in FLAG_KINDS}, status_label=status_label, dict=dict, **context)
        return HTMLResponse(page, status_code=status)

    def audit(self, staff: str, action: str, target: str | None = None, **detail: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(audit_log).values(staff=staff, action=action, target=target, detail=detail,
                                                        at=datetime.now(UTC)))

    def latest(self) -> dict | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(evaluations).order_by(evaluations.c.id.desc()).limit(1)).first()
        return None if row is None else dict(row._mapping)

    @staticmethod
    def scoped(query, staff: accounts.Staff):
        """The unit scope, in the query itself."""
        return query if staff.is_admin else query.where(evaluation_results.c.unit_code.in_(staff.units))

    # --- pages ------------------------------------------------------------------------------------

    async def login_page(self, request: Request) -> HTMLResponse:
        set_language(self._language(request, None))
        return self.render(request, "login.html.j2", None)

    async def login(self, request: Request) -> Response:
        form = await self.form(request)
        username = form.get("username", "").strip()
        staff = accounts.authenticate(self.engine, username, form.get("password", ""))
        self.audit(username or "?", "login" if staff else "login_failed")
        if staff is None:
            set_language(self._language(request, None))
            return self.render(request, "login.html.j2", None, status=401,
                               error=_("Wrong name or password, or the account is locked for a while."))
        request.session.clear()  # a new session on sign-in
        request.session["staff_id"] = staff.id
        return RedirectResponse("/", status_code=303)

    async def logout(self, request: Request) -> Response:
        await self.form(request)
        staff = self.staff(request)
        self.audit(staff.username, "logout")
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    async def dashboard(self, request: Request) -> HTMLResponse:
        staff = self.staff(request)
        evaluation = self.latest()
        units, kinds = [], {}
        if evaluation:
            with self.engine.connect() as connection:
                rows = connection.execute(self.scoped(select(
                    evaluation_results.c.unit_code, evaluation_results.c.unit_name, evaluation_results.c.status,
                    func.count().label("n")).where(evaluation_results.c.evaluation_id == evaluation["id"])
                    .group_by(evaluation_results.c.unit_code, evaluation_results.c.unit_name,
                              evaluation_results.c.status), staff)).fetchall()
                kinds = dict(connection.execute(self.scoped(select(evaluation_flags.c.kind, func.count()).join(
                    evaluation_results, and_(evaluation_results.c.evaluation_id == evaluation_flags.c.evaluation_id,
                                             evaluation_results.c.cadre_id == evaluation_flags.c.cadre_id))
                    .where(evaluation_flags.c.evaluation_id == evaluation["id"]).group_by(evaluation_flags.c.kind),
                    staff)).fetchall())
            by_unit: dict[str, dict] = {}
            for r in rows:
                unit = by_unit.setdefault(r.unit_code, {"code": r.unit_code, "name": r.unit_name, "counts": {}})
                unit["counts"][r.status] = r.n
            for unit in by_unit.values():
                c = unit["counts"]
                counted = sum(n for s, n in c.items() if s not in ("suspended", "exempt"))
                unit["cadres"] = sum(n for s, n in c.items() if s != "suspended")
                unit["rate"] = c.get("compliant", 0) / counted if counted else None
            units = sorted(by_unit.values(), key=lambda u: u["name"])
        with self.engine.connect() as connection:
            last_sync = connection.execute(select(sync_runs.c.finished_at).where(sync_runs.c.status == "succeeded")
                                           .order_by(sync_runs.c.id.desc())).scalar()
        now = datetime.now(UTC)
        stale_sync = last_sync is None or (now - last_sync.replace(tzinfo=last_sync.tzinfo or UTC)
                                          ).total_seconds() > self.stale_hours * 3600
        stale_evaluation = evaluation is None or (now - evaluation["created_at"].replace(
            tzinfo=evaluation["created_at"].tzinfo or UTC)).total_seconds() > self.stale_hours * 3600
        chart = bar_chart([(u["name"], u["rate"]) for u in units]) if units else ""
        return self.render(request, "dashboard.html.j2", staff, evaluation=evaluation, units=units, kinds=kinds,
                           chart=chart, last_sync=last_sync, stale_sync=stale_sync, stale_evaluation=stale_evaluation)

    def _flag_query(self, request: Request, staff: accounts.Staff, evaluation: dict):
        q = request.query_params
        query = self.scoped(select(evaluation_results).where(
            evaluation_results.c.evaluation_id == evaluation["id"],
            evaluation_results.c.cadre_id.in_(select(evaluation_flags.c.cadre_id).where(
                evaluation_flags.c.evaluation_id == evaluation["id"],
                *([evaluation_flags.c.kind == q["kind"]] if q.get("kind") else []),
                *([evaluation_flags.c.group_name == q["group"]] if q.get("group") else []))),
        ), staff)
        if q.get("unit"):
            query = query.where(evaluation_results.c.unit_code == q["unit"])
        if q.get("q"):
            needle = f"%{q['q'].strip()}%"
            query = query.where(evaluation_results.c.name.ilike(needle) | evaluation_results.c.cadre_id.ilike(needle))
        states = self._review_states()
        if q.get("state") in ("open", "reviewed", "excused"):
            wanted = {c for c, s in states.items() if s == q["state"]}
            query = (query.where(evaluation_results.c.cadre_id.notin_(set(states)) if q["state"] == "open"
                                 else evaluation_results.c.cadre_id.in_(wanted)))
        sort = SORTS.get(q.get("sort", "name"), SORTS["name"])
        return query.order_by(desc(sort) if q.get("order") == "desc" else sort, evaluation_results.c.cadre_id), states

    def _review_states(self) -> dict[str, str]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(review_events.c.cadre_id, review_events.c.kind)
                                      .where(review_events.c.kind.in_(("reviewed", "excused")))
                                      .order_by(review_events.c.id))
            return {r.cadre_id: r.kind for r in rows}

    def _flags_of(self, evaluation_id: int, cadre_ids: list[str]) -> dict[str, list]:
        result: dict[str, list] = {c: [] for c in cadre_ids}
        with self.engine.connect() as connection:
            for f in connection.execute(select(evaluation_flags).where(
                    evaluation_flags.c.evaluation_id == evaluation_id, evaluation_flags.c.cadre_id.in_(cadre_ids))):
                result[f.cadre_id].append({"kind": f.kind, "label": flag_label(f.kind),
                                           "text": explain(f.kind, f.evidence), "rule": f.rule})
        return result

    async def flags(self, request: Request) -> HTMLResponse:
        staff = self.staff(request)
        evaluation = self.latest()
        if evaluation is None:
            return self.render(request, "flags.html.j2", staff, evaluation=None, rows=[], total=0, page=1, pages=1,
                               units=[], params={})
        query, states = self._flag_query(request, staff, evaluation)
        page = max(1, int(request.query_params.get("page", "1") or 1)) if request.query_params.get(
            "page", "1").isdigit() else 1
        with self.engine.connect() as connection:
            total = connection.execute(select(func.count()).select_from(query.subquery())).scalar()
            rows = [dict(r._mapping) for r in connection.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))]
            units = connection.execute(self.scoped(select(evaluation_results.c.unit_code, evaluation_results.c.unit_name)
                                                   .where(evaluation_results.c.evaluation_id == evaluation["id"])
                                                   .distinct(), staff).order_by(evaluation_results.c.unit_name)).fetchall()
        flags = self._flags_of(evaluation["id"], [r["cadre_id"] for r in rows])
        for row in rows:
            row["flags"], row["review"] = flags[row["cadre_id"]], states.get(row["cadre_id"], "open")
        return self.render(request, "flags.html.j2", staff, evaluation=evaluation, rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)), units=units, params=dict(request.query_params))

    def _cadre(self, staff: accounts.Staff, cadre_id: str, evaluation: dict | None):
        if evaluation is None:
            raise HTTPException(404)
        with self.engine.connect() as connection:
            row = connection.execute(self.scoped(select(evaluation_results).where(
                evaluation_results.c.evaluation_id == evaluation["id"],
                evaluation_results.c.cadre_id == cadre_id), staff)).first()
        if row is None:
            raise HTTPException(404)  # not there, or not in the account's units: the same answer
        return dict(row._mapping)

    async def cadre(self, request: Request) -> HTMLResponse:
        staff = self.staff(request)
        evaluation = self.latest()
        cadre = self._cadre(staff, request.path_params["cadre_id"], evaluation)
        with self.engine.connect() as connection:
            ledger = [dict(r._mapping) for r in connection.execute(select(credit_entries).where(
                credit_entries.c.cadre_id == cadre["cadre_id"]).order_by(credit_entries.c.id))]
            history = [dict(r._mapping) for r in connection.execute(select(review_events).where(
                review_events.c.cadre_id == cadre["cadre_id"]).order_by(review_events.c.id.desc()))]
        flags = self._flags_of(evaluation["id"], [cadre["cadre_id"]])[cadre["cadre_id"]]
        return self.render(request, "cadre.html.j2", staff, evaluation=evaluation, cadre=cadre, ledger=ledger,
                           history=history, flags=flags, today=date.today().isoformat(),
                           message=request.query_params.get("done"))

    async def review(self, request: Request) -> Response:
        form = await self.form(request)
        staff = self.staff(request)
        cadre = self._cadre(staff, request.path_params["cadre_id"], self.latest())
        kind = form.get("action", "")
        now = datetime.now(UTC)
        detail: dict[str, Any] = {}
        with self.engine.begin() as connection:
            if kind == "excuse":
                try:
                    start, end = date.fromisoformat(form.get("from", "")), date.fromisoformat(form.get("to", ""))
                except ValueError:
                    raise HTTPException(400, _("Give the dates as YYYY-MM-DD.")) from None
                reason = form.get("text", "").strip()
                if not reason or end < start:
                    raise HTTPException(400, _("An excuse needs a reason and a date range."))
                effect = "full" if form.get("effect") == "full" else "prorate"
                key = secrets.token_hex(16)
                connection.execute(insert(exemptions).values(
                    key=key, cadre_id=cadre["cadre_id"], reason=reason, start=start, end=end, effect=effect,
                    source="review", created_at=now))
                detail = {"from": start.isoformat(), "to": end.isoformat(), "effect": effect}
            elif kind == "message":
                text = form.get("text", "").strip()
                if not text:
                    raise HTTPException(400, _("Write the message."))
                connection.execute(insert(message_queue).values(cadre_id=cadre["cadre_id"], user_id=cadre["user_id"],
                                                                text=text, queued_by=staff.username, queued_at=now))
            elif kind not in ("reviewed", "note"):
                raise HTTPException(400, _("Unknown action."))
            if kind == "note" and not form.get("text", "").strip():
                raise HTTPException(400, _("Write the note."))
            connection.execute(insert(review_events).values(
                cadre_id=cadre["cadre_id"], unit_code=cadre["unit_code"],
                kind={"excuse": "excused", "message": "message_queued"}.get(kind, kind),
                text=form.get("text", "").strip() or None, detail=detail, staff=staff.username, created_at=now))
        self.audit(staff.username, f"review:{kind}", cadre["cadre_id"], **detail)
        return RedirectResponse(f"/cadres/{cadre['cadre_id']}?done={kind}", status_code=303)

    async def export(self, request: Request) -> Response:
        staff = self.staff(request)
        evaluation = self.latest()
        fmt = request.path_params["fmt"]
        if evaluation is None or fmt not in ("csv", "xlsx"):
            raise HTTPException(404)
        query, states = self._flag_query(request, staff, evaluation)
        with self.engine.connect() as connection:
            rows = [dict(r._mapping) for r in connection.execute(query)]
        flags = self._flags_of(evaluation["id"], [r["cadre_id"] for r in rows])
        headers = [_("Cadre ID"), _("Name"), _("Unit"), _("Status"), _("Hours"), _("Review"), _("Flags")]
        table = [[r["cadre_id"], r["name"], r["unit_name"], status_label(r["status"]),
                  round(r["hours_online"] + r["hours_offline"], 1), states.get(r["cadre_id"], "open"),
                  "; ".join(f"{f['label']}: {f['text']}" for f in flags[r["cadre_id"]])] for r in rows]
        self.audit(staff.username, "export", fmt, rows=len(table), filters=dict(request.query_params))
        if fmt == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(headers)
            writer.writerows([[safe_cell(c) for c in row] for row in table])
            return Response(buffer.getvalue().encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="flagged.csv"'})
        import xlsxwriter

        output = io.BytesIO()
        book = xlsxwriter.Workbook(output, {"in_memory": True, **WORKBOOK_OPTIONS})
        sheet = book.add_worksheet(_("Flagged cadres")[:31])
        sheet.write_row(0, 0, headers, book.add_format({"bold": True}))
        for n, row in enumerate(table, start=1):
            sheet.write_row(n, 0, [safe_cell(c) for c in row])
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(1, len(table)), len(headers) - 1)
        book.close()
        return Response(output.getvalue(),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": 'attachment; filename="flagged.xlsx"'})

    async def audit_page(self, request: Request) -> HTMLResponse:
        staff = self.staff(request)
        if not staff.is_admin:
            raise HTTPException(404)
        with self.engine.connect() as connection:
            rows = [dict(r._mapping) for r in connection.execute(
                select(audit_log).order_by(audit_log.c.id.desc()).limit(500))]
        return self.render(request, "audit.html.j2", staff, rows=rows)


def create_app(engine: Engine, secret_key: str, https_only: bool = False, stale_hours: float = 36.0) -> Starlette:
    app = ReviewApp(engine, stale_hours)

    async def error_page(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 303:
            return RedirectResponse(exc.headers["Location"], status_code=303)
        return HTMLResponse(app.templates.get_template("error.html.j2").render(
            _=_, staff=None, lang="en", code=exc.status_code, detail=exc.detail or ""), status_code=exc.status_code)

    routes = [
        Route("/login", app.login_page, methods=["GET"], name="login_page"),
        Route("/login", app.login, methods=["POST"], name="login"),
        Route("/logout", app.logout, methods=["POST"], name="logout"),
        Route("/", app.dashboard, methods=["GET"], name="dashboard"),
        Route("/flags", app.flags, methods=["GET"], name="flags"),
        Route("/flags/export.{fmt:str}", app.export, methods=["GET"], name="export"),
        Route("/cadres/{cadre_id:str}", app.cadre, methods=["GET"], name="cadre"),
        Route("/cadres/{cadre_id:str}/review", app.review, methods=["POST"], name="review"),
        Route("/audit", app.audit_page, methods=["GET"], name="audit"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [Middleware(SessionMiddleware, secret_key=secret_key, session_cookie="moodle_bridge_session",
                             max_age=8 * 3600, same_site="lax", https_only=https_only)]
    starlette = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: error_page})
    starlette.state.review = app
    return starlette

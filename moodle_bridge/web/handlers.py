"""The review page's handlers: parse the request, ask the read model (or the review service), render.

Every read of cadres is scoped to the signed-in account's units (an admin sees every unit): a reviewer who types
another unit's cadre id gets 404, and exports hold only their units. Every review action, login and export is
written to the audit log.

Nothing blocking runs on the event loop: the handlers that only read are plain functions (Starlette runs them in its
thread pool); those that read a form await it, then do their work in the thread pool. Sign-ins (argon2) and PDF
drawings are bounded: a few at a time, the rest refused at once. Every parameter is bounded; a bad one is a 400, never
a 500.
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import UTC, datetime
from math import ceil
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .. import results
from ..i18n import DAY, _, local_time, set_language
from ..reports import assessment as assessment_report
from ..reports import export, names, pdf, render, training_file
from ..reports import promotion as promotion_words
from ..reports import units as units_table
from ..reports.plain import explain, flag_label, remedy, review_label, status_label
from ..results import assessment as year_assessments
from ..results.promotion import promotion_check
from ..rules.offline import ImportError_
from ..rules.promotion import candidates_from_text
from . import accounts, audit, review
from .pages import Pages
from .session import begin, checked_form, language, signed_in
from .throttle import Throttle

PAGE_SIZE = 50
UNITS_PAGE = 100  # units on one page of the dashboard
UNIT_CHOICES = 300  # units a list's unit filter offers to choose from; more are typed (a code or a name)
AUDIT_PAGE_SIZE = 100
MAX_PAGE = 100_000
MAX_PARAM = 100  # a unit code, a group, a flag kind, a search
MAX_CADRE_ID = 255
FILTERS = ("unit", "kind", "group", "state", "q", "sort", "order")
SIGN_INS_AT_ONCE = 4  # argon2 verifications in flight; more are refused (503) rather than queued
PDF_RENDERS_AT_ONCE = 2  # training files being drawn (about a second each); more are refused (503) rather than queued
PER_NAME_FAILURES = 5  # failures for one name from one address before that address is refused it for the window
PER_ADDRESS_FAILURES = 20  # failures from one address, whatever the names, before it is refused (429)
BUSY_RETRY_SECONDS = 5


# How the cadre's page names what the read model codes (the training file's own words).
CADRE_WORDS: dict[str, Any] = {"hours_text": names.hours_text, "source_name": names.source_name,
                               "course_marks": names.course_marks,
                               "requirement_name": names.requirement_name,
                               "requirement_group": names.requirement_group, "standing_label": names.standing_label,
                               "required_text": training_file.required_text}


def _bad(message: str) -> HTTPException:
    return HTTPException(400, message)


def _filters(params: QueryParams) -> dict[str, str]:
    """The list's filters as given (only the known ones, each bounded); a longer value is a 400."""
    given = {name: params[name] for name in FILTERS if params.get(name)}
    if any(len(value) > MAX_PARAM for value in given.values()):
        raise _bad(_("A filter or search is too long (at most {n} characters).").format(n=MAX_PARAM))
    return given


def _cadre_query(params: QueryParams) -> results.CadreQuery:
    given = _filters(params)
    state = given.get("state")
    return results.CadreQuery(
        unit_code=given.get("unit"), kind=given.get("kind"), group=given.get("group"),
        state=state if state in results.REVIEW_STATES else None,
        search=given.get("q"), sort=given.get("sort", "name"), descending=given.get("order") == "desc")


def _page(params: QueryParams) -> int:
    value = params.get("page", "1")
    if not (value.isascii() and value.isdigit() and len(value) <= len(str(MAX_PAGE))):
        raise _bad(_("A page number is a whole number from 1 to {n}.").format(n=MAX_PAGE))
    return min(max(1, int(value)), MAX_PAGE)


def _cadre_id(request: Request) -> str:
    cadre_id: str = request.path_params["cadre_id"]
    if len(cadre_id) > MAX_CADRE_ID:
        raise HTTPException(404)
    return cadre_id


def _older_than(moment: datetime | None, hours: float) -> bool:
    if moment is None:
        return True
    return (datetime.now(UTC) - moment.replace(tzinfo=moment.tzinfo or UTC)).total_seconds() > hours * 3600


def _address(request: Request) -> str:
    return request.client.host if request.client else "?"


class Handlers:
    def __init__(self, engine: Engine, pages: Pages, stale_hours: float = 36.0) -> None:
        self.engine = engine
        self.pages = pages
        self.stale_hours = stale_hours
        window = accounts.LOCK_MINUTES * 60
        self.per_name = Throttle(PER_NAME_FAILURES, window)
        self.per_address = Throttle(PER_ADDRESS_FAILURES, window)
        self.sign_ins = threading.BoundedSemaphore(SIGN_INS_AT_ONCE)
        self.pdf_renders = threading.BoundedSemaphore(PDF_RENDERS_AT_ONCE)  # the thread pool stays free for pages

    def _cadre(self, staff: accounts.Staff, cadre_id: str) -> results.CadreFile:
        try:
            with self.engine.connect() as connection:
                return results.cadre_file(connection, cadre_id, units=staff.scope)
        except (results.NoEvaluation, KeyError):
            raise HTTPException(404) from None  # not there, or not in the account's units: the same answer

    # --- signing in and out -----------------------------------------------------------------------

    def login_page(self, request: Request) -> HTMLResponse:
        set_language(language(request, None))
        return self.pages.render(request, "login.html.j2", None)

    def _refused(self, request: Request, status: int, error: str, retry_after: float | None = None) -> HTMLResponse:
        set_language(language(request, None))
        page = self.pages.render(request, "login.html.j2", None, status=status, error=error)
        if retry_after is not None:
            page.headers["Retry-After"] = str(max(1, ceil(retry_after)))
        return page

    def _sign_in(self, username: str, password: str, address: str) -> accounts.Staff | None:
        """Blocking: one argon2 verify whatever the name, then the audit line and the counters."""
        if self.per_name.retry_after((address, username)):
            accounts.refuse(password)  # locked for this address: the same work as any other answer
            staff = None
        else:
            staff = accounts.authenticate(self.engine, username, password)
        audit.record(self.engine, username or "?", "login" if staff else "login_failed")
        if staff is None:
            self.per_name.fail((address, username))
            self.per_address.fail(address)
        else:
            self.per_name.clear((address, username))
        return staff

    async def login(self, request: Request) -> Response:
        set_language(language(request, None))
        form = await checked_form(request)
        username, password = form.get("username", "").strip(), form.get("password", "")
        if len(username) > accounts.MAX_USERNAME or len(password) > accounts.MAX_PASSWORD:
            raise _bad(_("The name or the password is too long."))
        address = _address(request)
        wait = self.per_address.retry_after(address)
        if wait:
            return self._refused(request, 429, _("Too many failed sign-ins from this computer: try again in {n} "
                                                 "minutes.").format(n=ceil(wait / 60)), wait)
        if not self.sign_ins.acquire(blocking=False):
            return self._refused(request, 503, _("Many people are signing in at once: try again in a moment."),
                                 BUSY_RETRY_SECONDS)
        try:
            staff = await run_in_threadpool(self._sign_in, username, password, address)
        finally:
            self.sign_ins.release()
        if staff is None:
            return self._refused(request, 401, _("Wrong name or password, or the account is locked for a while."))
        begin(request, staff)  # a new session on sign-in
        return RedirectResponse("/", status_code=303)

    def _sign_out(self, request: Request) -> None:
        staff = signed_in(request, self.engine)
        accounts.revoke_sessions(self.engine, staff.id)  # every copy of this session's cookie ends here
        audit.record(self.engine, staff.username, "logout")

    async def logout(self, request: Request) -> Response:
        await checked_form(request)
        await run_in_threadpool(self._sign_out, request)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # --- reading ----------------------------------------------------------------------------------

    def dashboard(self, request: Request) -> HTMLResponse:
        staff = signed_in(request, self.engine)
        page = _page(request.query_params)
        with self.engine.connect() as connection:
            overview = results.dashboard(connection, staff.scope)
            last_sync = results.last_sync(connection)
        evaluation = overview.evaluation if overview else None
        rates = overview.rates if overview else None
        # A province's thousands of units, a page at a time in their ranking (the units report has them all).
        ranked = rates.units if rates else []
        pages = max(1, -(-len(ranked) // UNITS_PAGE))
        page = min(page, pages)
        shown = ranked[(page - 1) * UNITS_PAGE:page * UNITS_PAGE]
        return self.pages.render(  # the units report's own columns, figures and charts: they agree to the digit
            request, "dashboard.html.j2", staff, evaluation=evaluation, rates=rates, shown=shown, page=page,
            pages=pages, first=(page - 1) * UNITS_PAGE + 1, headers=units_table.figure_headers(),
            figures=units_table.figures,
            chart=units_table.status_chart(shown, width=640) if shown else "",
            trend=units_table.trend_svg(rates.trend, width=520) if rates else "",  # side by side
            kinds=overview.flag_kinds if overview else {}, last_sync=last_sync,
            stale_sync=_older_than(last_sync, self.stale_hours),
            stale_evaluation=_older_than(evaluation.created_at if evaluation else None, self.stale_hours))

    def flags(self, request: Request) -> HTMLResponse:
        staff = signed_in(request, self.engine)  # first: a refusal below speaks the account's language
        query, page, params = _cadre_query(request.query_params), _page(request.query_params), _filters(
            request.query_params)
        with self.engine.connect() as connection:
            evaluation = results.evaluation(connection)
            if evaluation is None:
                return self.pages.render(request, "flags.html.j2", staff, evaluation=None, rows=[], total=0, page=1,
                                         pages=1, units=[], params={})
            units = results.unit_names(connection, evaluation.id, staff.scope)
            if query.unit_code and query.unit_code not in {code for code, _name in units}:  # typed: a unit's name
                named = [code for code, name in units if name == query.unit_code.strip()]
                if len(named) == 1:  # its code from here on: the export's and the training files' links take it
                    query, params = replace(query, unit_code=named[0]), {**params, "unit": named[0]}
            found = results.flagged_page(connection, evaluation.id, staff.scope, query, page, PAGE_SIZE)
        return self.pages.render(request, "flags.html.j2", staff, evaluation=evaluation, rows=found.rows,
                                 total=found.total, page=found.page, pages=found.pages, units=units, params=params,
                                 choose_unit=len(units) <= UNIT_CHOICES)

    def cadre(self, request: Request) -> HTMLResponse:
        staff = signed_in(request, self.engine)
        file = self._cadre(staff, _cadre_id(request))
        with self.engine.connect() as connection:
            history = results.review_history(connection, file.result.cadre_id)
        done = request.query_params.get("done")
        return self.pages.render(request, "cadre.html.j2", staff, evaluation=file.evaluation, cadre=file.result,
                                 ledger=file.entries, history=history, flags=file.flags, file=file, **CADRE_WORDS,
                                 today=local_time(datetime.now(UTC), DAY),  # the organisation's day
                                 message=done if done in review.ACTIONS else None)

    def training_file(self, request: Request) -> Response:
        """The cadre's training file to print: HTML (its stylesheet beside it: the page's policy allows no inline
        style) or PDF. Scoped like the cadre's page; each one printed is in the audit log.

        A plain function: Starlette runs it in its thread pool, so the PDF's drawing never blocks the event loop. Only
        a few are drawn at once; another is refused at once (503, try again) so that reloads cannot take every
        thread the other pages need."""
        staff = signed_in(request, self.engine)
        fmt = request.path_params["fmt"]
        if fmt == "css":
            return Response(training_file.stylesheet(), media_type="text/css")
        if fmt not in ("html", "pdf"):
            raise HTTPException(404)
        file = self._cadre(staff, _cadre_id(request))
        document = self._pdf(file) if fmt == "pdf" else None
        audit.record(self.engine, staff.username, "training_file", file.result.cadre_id, format=fmt)  # once made
        if document is None:
            return HTMLResponse(training_file.html([file], stylesheet_href="file.css"))
        name = re.sub(r"[^A-Za-z0-9_-]+", "_", file.result.cadre_id)
        return Response(document, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="training-file-{name}.pdf"'})

    def unit_files(self, request: Request) -> Response:
        """Every training file of a unit in one document to print (each cadre on a new page): HTML or PDF. Scoped
        like the flagged list (another unit's code is "not found"), drawn like one cadre's, audited once made."""
        staff = signed_in(request, self.engine)
        fmt, unit = request.path_params["fmt"], request.path_params["unit_code"]
        if fmt == "css":
            return Response(training_file.stylesheet(), media_type="text/css")
        if fmt not in ("html", "pdf") or len(unit) > MAX_CADRE_ID:
            raise HTTPException(404)
        try:
            with self.engine.connect() as connection:
                files = results.unit_files(connection, unit, units=staff.scope)
        except (results.NoEvaluation, KeyError):
            raise HTTPException(404) from None
        document = self._pdf(files) if fmt == "pdf" else None
        audit.record(self.engine, staff.username, "unit_training_files", unit, format=fmt, cadres=len(files))
        if document is None:
            return HTMLResponse(training_file.html(files, stylesheet_href="files.css"))
        name = re.sub(r"[^A-Za-z0-9_-]+", "_", unit)
        return Response(document, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="training-files-{name}.pdf"'})

    def _pdf(self, files: results.CadreFile | list[results.CadreFile]) -> bytes:
        """Training files drawn as one PDF, when fewer than PDF_RENDERS_AT_ONCE are being drawn; else 503 at once."""
        if not self.pdf_renders.acquire(blocking=False):
            raise HTTPException(503, _("Other training files are being made just now: try again in a few seconds."),
                                headers={"Retry-After": str(BUSY_RETRY_SECONDS)})
        try:
            return pdf.pdf_bytes(training_file.html(files if isinstance(files, list) else [files]))
        except pdf.PdfUnavailable as exc:
            raise HTTPException(503, str(exc)) from None
        finally:
            self.pdf_renders.release()

    def export(self, request: Request) -> Response:
        staff = signed_in(request, self.engine)
        query, filters = _cadre_query(request.query_params), _filters(request.query_params)
        fmt = request.path_params["fmt"]
        with self.engine.connect() as connection:
            evaluation = results.evaluation(connection)
            if evaluation is None or fmt not in ("csv", "xlsx"):
                raise HTTPException(404)
            rows = results.flagged_cadres(connection, evaluation.id, staff.scope, query)
        headers = [_("Cadre ID"), _("Name"), _("Unit"), _("Status"), _("Hours"), _("Review"), _("Flags"),
                   _("What would fix it")]
        table = [[r.result.cadre_id, r.result.name, r.result.unit_name, status_label(r.result.status),
                  round(r.result.hours, 1), review_label(r.review),
                  "; ".join(f"{flag_label(f.kind)}: {explain(f.kind, f.evidence)}" for f in r.flags),
                  "; ".join(fix for f in r.flags if (fix := remedy(f.kind, f.evidence)))] for r in rows]
        audit.record(self.engine, staff.username, "export", fmt, rows=len(table), filters=filters)
        sheets = [export.Sheet(_("Flagged cadres"), headers, table)]
        if fmt == "csv":
            return Response(export.csv_bytes(sheets), media_type=export.CSV_MEDIA_TYPE,
                            headers={"Content-Disposition": 'attachment; filename="flagged.csv"'})
        return Response(export.xlsx_bytes(sheets), media_type=export.XLSX_MEDIA_TYPE,
                        headers={"Content-Disposition": 'attachment; filename="flagged.xlsx"'})

    def assessment(self, request: Request) -> Response:
        """The year-end assessment of the period (``?period=``; the latest by default) for the account's units, each
        with the rank it has among every unit; ``/assessment/export.csv|xlsx|pdf`` the same rows as a file, audited."""
        staff = signed_in(request, self.engine)
        period, fmt = request.query_params.get("period") or None, request.path_params.get("fmt")
        if period is not None and not (period.isascii() and period.isdigit() and len(period) <= 4):
            raise _bad(_("A period is a year, such as 2026."))
        if fmt not in (None, "csv", "xlsx", "pdf"):
            raise HTTPException(404)
        with self.engine.connect() as connection:
            periods = year_assessments.assessed_periods(connection)
            try:
                data = year_assessments.year_assessment(connection, period, staff.scope)
            except results.NoEvaluation:
                data = None
        if fmt is None:
            return self.pages.render(request, "assessment.html.j2", staff, data=data, periods=periods,
                                     period=data.evaluation.period if data else period,
                                     view=assessment_report.page_context(data) if data else None)
        if data is None:
            raise HTTPException(404)
        audit.record(self.engine, staff.username, "assessment_export", fmt, rows=len(data.units),
                     period=data.evaluation.period)
        name = f"assessment-{data.evaluation.period}.{fmt}"
        if fmt == "pdf":
            return Response(self._drawn(render.html(data)), media_type="application/pdf",
                            headers={"Content-Disposition": f'inline; filename="{name}"'})
        sheets = assessment_report.tables(data)
        body, media = ((export.csv_bytes(sheets), export.CSV_MEDIA_TYPE) if fmt == "csv"
                       else (export.xlsx_bytes(sheets), export.XLSX_MEDIA_TYPE))
        return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    def _drawn(self, html: str) -> bytes:
        """A report drawn as PDF, within the bound on drawings at once (503 at once beyond it)."""
        if not self.pdf_renders.acquire(blocking=False):
            raise HTTPException(503, _("Other documents are being made just now: try again in a few seconds."),
                                headers={"Retry-After": str(BUSY_RETRY_SECONDS)})
        try:
            return pdf.pdf_bytes(html)
        except pdf.PdfUnavailable as exc:
            raise HTTPException(503, str(exc)) from None
        finally:
            self.pdf_renders.release()

    def audit_page(self, request: Request) -> HTMLResponse:
        staff = signed_in(request, self.engine)
        if not staff.is_admin:
            raise HTTPException(404)
        page = _page(request.query_params)
        rows, total = audit.page(self.engine, page, AUDIT_PAGE_SIZE)
        return self.pages.render(request, "audit.html.j2", staff, rows=rows, page=page,
                                 pages=max(1, ceil(total / AUDIT_PAGE_SIZE)), total=total,
                                 action_label=audit.action_label, target_label=audit.target_label,
                                 cadre_of=audit.cadre_of, detail_text=audit.detail_text)

    # --- writing ----------------------------------------------------------------------------------

    def _review(self, request: Request, form: dict[str, str]) -> Response:
        staff = signed_in(request, self.engine)
        cadre = self._cadre(staff, _cadre_id(request)).result
        action = review.Action.from_form(form)
        try:
            review.act(self.engine, cadre, action, staff.username)
        except review.ReviewError as exc:
            raise _bad(str(exc)) from None
        return RedirectResponse(f"/cadres/{quote(cadre.cadre_id, safe='')}?done={action.kind}", status_code=303)

    async def review(self, request: Request) -> Response:
        form = await checked_form(request)
        response: Response = await run_in_threadpool(self._review, request, form)
        return response


    # --- the promotion check (administrators) -----------------------------------------------------

    def promotion_page(self, request: Request) -> HTMLResponse:
        """The promotion check's form: an administrator pastes the candidates' cadre ids."""
        staff = signed_in(request, self.engine)
        if not staff.is_admin:
            raise HTTPException(404)
        return self.pages.render(request, "promotion.html.j2", staff, ids="", problems=[], check=None)

    def _promotion(self, request: Request, form: dict[str, str], fmt: str | None) -> Response:
        """The candidates checked (the whole store, by the rules the latest evaluation was judged by): the page with
        the answer, or (``fmt``) the answer as CSV, Excel or PDF for the personnel file. Each check is audited."""
        staff = signed_in(request, self.engine)
        if not staff.is_admin or fmt not in (None, "csv", "xlsx", "pdf"):
            raise HTTPException(404)
        text = form.get("ids", "")
        try:
            candidates = candidates_from_text(text)
        except ImportError_ as exc:
            return self.pages.render(request, "promotion.html.j2", staff, status=400, ids=text,
                                     problems=exc.problems, check=None)
        with self.engine.connect() as connection:
            latest = results.evaluation(connection)
            rules = results.judged_rules(connection, latest.rules_hash) if latest else None
            if rules is None:
                return self.pages.render(request, "promotion.html.j2", staff, ids=text, check=None, problems=[
                    _("No evaluation whose rules are kept: run an evaluation, then check again.")])
            today = datetime.now(ZoneInfo(rules.organisation.timezone)).date()
            check = promotion_check(connection, candidates, rules, today)
        audit.record(self.engine, staff.username, "promotion_check", fmt, rows=len(candidates))
        if fmt is None:
            return self.pages.render(request, "promotion.html.j2", staff, ids=text, problems=[], check=check,
                                     headers=promotion_words.headers(check), rows=promotion_words.rows(check),
                                     summary=promotion_words.summary_text(check),
                                     checked=promotion_words.checked_text(check))
        name = f"promotion-check-{today.isoformat()}.{fmt}"
        if fmt == "pdf":
            if not self.pdf_renders.acquire(blocking=False):
                raise HTTPException(503, _("Other documents are being made just now: try again in a few seconds."),
                                    headers={"Retry-After": str(BUSY_RETRY_SECONDS)})
            try:
                document = pdf.pdf_bytes(promotion_words.html(check))
            except pdf.PdfUnavailable as exc:
                raise HTTPException(503, str(exc)) from None
            finally:
                self.pdf_renders.release()
            return Response(document, media_type="application/pdf",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        sheets = [promotion_words.sheet(check)]
        body, media = ((export.csv_bytes(sheets), export.CSV_MEDIA_TYPE) if fmt == "csv"
                       else (export.xlsx_bytes(sheets), export.XLSX_MEDIA_TYPE))
        return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    async def promotion(self, request: Request) -> Response:
        form = await checked_form(request)
        response: Response = await run_in_threadpool(self._promotion, request, form, None)
        return response

    async def promotion_export(self, request: Request) -> Response:
        form = await checked_form(request)
        response: Response = await run_in_threadpool(self._promotion, request, form, request.path_params["fmt"])
        return response

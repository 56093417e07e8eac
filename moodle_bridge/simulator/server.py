"""The simulated Moodle's REST endpoint: tokens, the service, maintenance, faults, batching.

``SimulatedMoodle.handle`` turns the form fields of one POST into (status, headers, body) as a
real Moodle 5.1 would; it records every call (without the token) with the Moodle time it would
have cost. Two ways to reach it: in-process through the ``responses`` library (``mount``), or as
a real HTTP server on 127.0.0.1 (``serve``).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from . import latency
from .data import Site
from .faults import FaultPlan
from .functions import BATCH, inner_exception, php_json, report_scanned_rows
from .params import declarations, validate
from .php_form import as_lists, decode_form
from .protocol import HANDLERS, Caller, Context, SimError
from .token import TOKEN_PATH, TokenEndpoint

if TYPE_CHECKING:
    import requests
    import responses

# What the simulator made of one HTTP request: status, body, outcome (ok or an errorcode), seconds of
# Moodle service it priced, and the number of inner calls of a batch (0 otherwise).
_Answer = tuple[int, bytes, str, float, int]

ENDPOINT = "/webservice/rest/server.php"
# Functions of Moodle's own components exist whether or not the service holds them.
_MOODLE_FUNCTION = re.compile(r"^(core|mod|enrol|gradereport|tool|report|block|auth|message|qtype)_[a-z_]+$")
ENVELOPE = ("wstoken", "wsfunction", "moodlewsrestformat")
MAINTENANCE_PAGE = (
    '<!DOCTYPE html>\n<html  lang="en" xml:lang="en">\n    <head>\n        <title>{site} under maintenance</title>'
    "\n    </head>\n    <body><h1>This site is undergoing maintenance</h1></body>\n</html>\n"
)


@dataclass
class CallRecord:
    function: str
    arguments: dict[str, Any]  # decoded, without the token
    outcome: str  # "ok", an errorcode, or the fault's name
    demand: float  # seconds of Moodle service it would have cost
    inner: int = 0  # calls inside a batch


class Dropped(Exception):
    """The simulated connection drops: no answer at all."""


class TimedOut(Exception):
    """The simulated answer comes too late."""


class SimulatedMoodle:
    def __init__(self, site: Site, *, token: str = "simulated-token", debug: bool = False,
                 siteurl: str = "http://moodle.simulated", time_scale: float = 0.0,
                 record_arguments: bool = True) -> None:
        self.site = site
        self.tokens = {token: Caller(site.integration_user_id, capable=True),
                       "nocap-token": Caller(4, capable=False)}
        self.debug = debug
        self.siteurl = siteurl
        self.service = frozenset(declarations()["functions"])
        self.maintenance = False  # the admin setting (HTTP 200, errorcode sitemaintenance)
        self.faults = FaultPlan()
        self.calls: list[CallRecord] = []
        self.time_scale = time_scale  # > 0: really sleep demand x scale (a slow Moodle)
        # callables(function, arguments): change the site between calls
        self.before_answer: list[Callable[[str, dict[str, Any]], object]] = []
        # Keep each call's arguments (tests read them); a province benchmark keeps function, outcome
        # and cost only, or 680,000 calls' arguments fill the memory.
        self.record_arguments = record_arguments
        self._lock = threading.RLock()  # Moodle's database: one consistent state per call
        self.token_endpoint = TokenEndpoint(self)  # /login/token.php: a user's name and password for a token

    # --- the protocol ------------------------------------------------------------------------------

    def handle(self, fields: list[tuple[str, str]]) -> tuple[int, dict[str, str], bytes]:
        form = dict(fields)
        function = form.get("wsfunction", "")
        arguments = as_lists(decode_form((k, v) for k, v in fields if k not in ENVELOPE))
        for hook in list(self.before_answer):
            hook(function, arguments)
        fault = self.faults.take(function)
        if fault in ("http_500", "http_429", "http_403_empty", "http_503_html"):
            self._record(function, arguments, fault, latency.FIXED)
            return self._fault_answer(fault)
        if fault in ("sitemaintenance", "locktimeout"):
            self._record(function, arguments, fault, latency.FIXED)
            error = (SimError("sitemaintenance", "The site is undergoing maintenance and is currently not available")
                     if fault == "sitemaintenance" else
                     SimError("locktimeout", "The operation timed out while waiting for a lock."))
            return 200, self._headers(), json.dumps(error.payload(self.debug)).encode()
        status, body, outcome, demand, inner = self._answer(form, function, arguments)
        self._record(function, arguments, fault if fault in ("timeout", "drop") else outcome, demand, inner)
        if self.time_scale > 0:
            time.sleep(demand * self.time_scale)
        if fault == "timeout":
            raise TimedOut(function)
        if fault == "drop":
            raise Dropped(function)
        return status, self._headers(), body

    def _answer(self, form: dict[str, str], function: str, arguments: dict[str, Any]) -> _Answer:
        caller = self.tokens.get(form.get("wstoken", ""))
        if caller is None:
            return self._error(SimError("invalidtoken", "Invalid token - token not found"))
        if self.maintenance and caller.userid != 2:
            return self._error(SimError("sitemaintenance",
                                        "The site is undergoing maintenance and is currently not available"))
        if not _MOODLE_FUNCTION.match(function):  # no such function in Moodle at all
            return self._error(SimError("invalidrecordunknown", "Can't find data record in database.",
                                        "dml_missing_record_exception"))
        if function not in self.service or function not in declarations()["functions"]:
            return self._error(SimError("accessexception", "Access control exception", "webservice_access_exception"))
        if form.get("moodlewsrestformat", "json") != "json":
            return self._error(SimError("invalidparameter", "Only JSON is simulated"))
        context = Context(self.site, caller, self.siteurl, self.service)
        if function == BATCH:
            return self._batch(context, arguments)
        try:
            answer, demand = self.run(context, function, arguments)
        except SimError as error:
            return self._error(error)
        return 200, json.dumps(answer).encode(), "ok", demand, 0

    def run(self, context: Context, function: str, arguments: Any) -> tuple[Any, float]:
        """Validate, call the handler, price it. Raises SimError."""
        declared = declarations()["functions"][function]["parameters"]
        typed = validate(declared, arguments)
        with self._lock:
            answer = HANDLERS[function](context, typed)
            report_columns, total_rows, scanned = None, 0, None
            if function == "core_reportbuilder_retrieve_report":
                report = self.site.reports[typed["reportid"]]
                report_columns = report.columns
                total_rows = answer["data"]["totalrowcount"]
                scanned = report_scanned_rows(context, report)
        return answer, latency.demand(function, typed, answer, report_columns, total_rows, scanned)

    def _batch(self, context: Context, arguments: dict[str, Any]) -> _Answer:
        try:
            typed = validate(declarations()["functions"][BATCH]["parameters"], arguments)
        except SimError as error:
            return self._error(error)
        responses, demand = [], latency.BATCH_REQUEST
        for request in typed["requests"]:
            function = request["function"]
            try:
                if function not in self.service or function not in HANDLERS:
                    raise SimError("accessexception", "Access control exception", "webservice_access_exception",
                                   "Access to the function is not allowed.")
                inner_args = json.loads(request.get("arguments") or "{}")
                answer, cost = self.run(context, function, inner_args)
                demand += latency.inner_demand(cost)
                responses.append({"error": False, "data": php_json(answer)})
            except SimError as error:
                demand += latency.inner_demand(latency.FIXED)
                responses.append({"error": True, "exception": inner_exception(error, self.siteurl, self.debug)})
                break  # Moodle does not process the remaining requests
        body = json.dumps({"responses": responses}).encode()
        return 200, body, "ok", demand, len(responses)

    def _error(self, error: SimError) -> _Answer:
        return 200, json.dumps(error.payload(self.debug)).encode(), error.errorcode, latency.FIXED, 0

    def _fault_answer(self, fault: str) -> tuple[int, dict[str, str], bytes]:
        if fault == "http_403_empty":
            return 403, {"Content-Type": "text/html"}, b""
        if fault == "http_503_html":
            page = MAINTENANCE_PAGE.format(site=self.site.name).encode()
            return 503, {"Content-Type": "text/html", "Retry-After": "300"}, page
        if fault == "http_429":
            return 429, {"Retry-After": "1"}, b"Too many requests"
        return 500, {"Content-Type": "text/html"}, b"<html><body>Internal Server Error</body></html>"

    def _headers(self) -> dict[str, str]:
        # The site's own clock, as a real Moodle's server dates its answers (the sync reads its clock so).
        return {"Content-Type": "application/json; charset=utf-8", "Date": formatdate(self.site.now, usegmt=True)}

    def _record(self, function: str, arguments: dict[str, Any], outcome: str, demand: float, inner: int = 0) -> None:
        with self._lock:
            self.calls.append(CallRecord(function, arguments if self.record_arguments else {}, outcome, demand, inner))

    # --- transports --------------------------------------------------------------------------------

    def mount(self, mock: responses.RequestsMock, url: str | None = None, keep_calls: bool = True,
              token_endpoint: bool = False) -> None:
        """Answer the client in-process: ``mock`` is a ``responses.RequestsMock``. ``keep_calls=False``
        empties the mock's own record of requests as it goes (a province-size run would fill memory)."""
        import requests
        import responses
        import urllib3

        registered: list[responses.BaseResponse] = []

        def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes] | Exception:
            if not keep_calls and len(mock.calls) > 1000:  # the mock and the response both keep a list
                mock.calls.reset()
                registered[0].calls.reset()
            form = request.body or ""
            if isinstance(form, bytes):
                form = form.decode()
            if not isinstance(form, str):
                raise TypeError("the simulator answers form-encoded request bodies, not streamed ones")
            try:
                status, headers, body = self.handle(parse_qsl(form, keep_blank_values=True))
            except TimedOut:
                return requests.ReadTimeout("simulated: read timed out")
            except Dropped:
                return requests.ConnectionError(urllib3.exceptions.ProtocolError(
                    "Connection aborted.", ConnectionResetError(104, "Connection reset by peer")))
            return status, headers, body

        registered.append(mock.add_callback(responses.POST, (url or self.siteurl) + ENDPOINT, callback=callback))

        def token_callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
            form = request.body or ""
            return self.token_endpoint.answer(parse_qsl(form.decode() if isinstance(form, bytes) else str(form),
                                                        keep_blank_values=True))

        if token_endpoint:  # /login/token.php too (a mock that asserts every route was asked sees it)
            mock.add_callback(responses.POST, (url or self.siteurl) + TOKEN_PATH, callback=token_callback)

    @contextmanager
    def serve(self, port: int = 0) -> Iterator[str]:
        """A real HTTP server on 127.0.0.1; yields its URL."""
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                if self.path.split("?")[0] == TOKEN_PATH:
                    self._send(*simulator.token_endpoint.answer(parse_qsl(body, keep_blank_values=True)))
                    return
                if self.path.split("?")[0] != ENDPOINT:
                    self._send(404, {}, b"Not found")
                    return
                try:
                    status, headers, answer = simulator.handle(parse_qsl(body, keep_blank_values=True))
                except TimedOut:
                    time.sleep(simulator.timeout_hang)
                    self.close_connection = True
                    return
                except Dropped:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self._send(status, headers, answer)

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.siteurl = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self.siteurl
        finally:
            server.shutdown()
            server.server_close()

    timeout_hang = 2.0  # seconds a "timeout" fault holds the HTTP answer back

    # --- what tests read ---------------------------------------------------------------------------

    def requests_made(self, function: str | None = None) -> int:
        return sum(1 for c in self.calls if function in (None, c.function))

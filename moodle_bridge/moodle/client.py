"""``MoodleClient``: calls Moodle's REST web services, safely and concurrently.

- One pooled ``requests.Session``; the token travels only in the POST body, never in a URL,
  a log line, an error or a ``repr``.
- Reads are retried (tenacity) when trying again can help; writes only when the request
  provably never reached Moodle, so nothing is done twice.
- Every HTTP exchange has a total deadline (``call_deadline``), not only a wait per socket read, and a longest
  answer (``max_answer_bytes``): a server trickling bytes or sending 400 MB ends in a clear error.
- ``call_many`` runs independent calls on a bounded thread pool; ``call_batched`` packs them
  into ``tool_mobile_call_external_functions`` requests where the service offers it.
"""

from __future__ import annotations

import json
import math
import re
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import requests
import structlog
import urllib3
from pydantic import SecretStr, TypeAdapter, ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception, wait_exponential_jitter

from . import models as m
from ._encoding import FormFields, encode_batch_arguments, encode_call
from ._response import interpret, parse_http_date
from ._transport import TooLarge, Watch, WatchedAdapter, read_body
from .errors import (
    AnswerTooLarge,
    DeadlineExceeded,
    MoodleConnectionError,
    MoodleError,
    MoodleHTTPError,
    MoodleTimeout,
    SiteMaintenance,
    UnexpectedResponse,
    api_error,
)
from .functions import BATCH_FUNCTION, FUNCTIONS, is_read

log = structlog.get_logger("moodle_bridge.moodle")

ENDPOINT_PATH = "/webservice/rest/server.php"
CALL_DEADLINE = 600.0  # seconds one HTTP exchange may take in all
MAX_ANSWER_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Call:
    """One web-service call: a function name and its (unencoded) arguments."""

    function: str
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries in all, for transient failures
    max_wait: float = 30.0  # seconds, cap of one back-off (and of a Retry-After we honour)
    maintenance_wait: float = 60.0  # seconds between tries while the site is in maintenance
    maintenance_patience: float = 600.0  # seconds of maintenance we sit out before giving up


class _RetryBudget:
    """One call's allowance: ``attempts`` tries for transient failures, and on top of them
    ``maintenance_patience`` seconds of waiting while the site is in maintenance."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.failures = 0
        self.maintenance_waited = 0.0

    def exhausted(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, SiteMaintenance):
            self.maintenance_waited += self.policy.maintenance_wait
            return self.maintenance_waited > self.policy.maintenance_patience
        self.failures += 1
        return self.failures >= self.policy.attempts


@cache
def _adapter(function: str) -> TypeAdapter[Any] | None:
    spec = FUNCTIONS.get(function)
    return None if spec is None or spec.returns is None else TypeAdapter(spec.returns)


def parse_response(function: str, data: Any) -> Any:
    """Validate a decoded answer against the function's model; unregistered ones pass as-is."""
    adapter = _adapter(function)
    if adapter is None:
        return data
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise UnexpectedResponse(
            f"the answer does not have the shape Moodle 5.1 declares ({problems})", function=function,
            hint="Is the site older than Moodle 5.1, or changed by a plugin?",
        ) from None


class _RedactedStr(str):
    """The token: sent as itself, shown as a mask (tracebacks with locals, debuggers, logs)."""

    def __repr__(self) -> str:
        return "'**********'"


def _scrub(exc: MoodleError, token: str) -> None:
    """Moodle with debugging on can echo request data (SQL parameters) in its error texts."""
    for attribute in ("message", "debuginfo", "errorcode"):
        value = getattr(exc, attribute)
        if isinstance(value, str) and token in value:
            setattr(exc, attribute, value.replace(token, "**********"))
    exc.args = (exc._describe(),)


def _never_sent(exc: BaseException) -> bool:
    """True when the TCP connection was never established, so Moodle cannot have seen the call."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (urllib3.exceptions.NewConnectionError, ConnectionRefusedError)):
            return True
        if isinstance(item, BaseException):
            stack.extend([item.__cause__, item.__context__, getattr(item, "reason", None), *item.args])
    return False


class MoodleClient:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 120.0,
        verify_tls: bool = True,
        concurrency: int = 4,
        batch_size: int = 50,
        call_deadline: float = CALL_DEADLINE,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not token:
            raise ValueError("a Moodle web-service token is required")
        for name, value in (("connect_timeout", connect_timeout), ("read_timeout", read_timeout),
                            ("call_deadline", call_deadline), ("max_answer_bytes", max_answer_bytes)):
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number above 0, not {value!r}")
        self.url = url.rstrip("/")
        self.endpoint = self.url + ENDPOINT_PATH
        self.shown_url = re.sub(r"(?<=//)[^/@]*@", "", self.url)  # for messages: never a user:password@
        self._token = SecretStr(token)  # shows as '**********' in any repr or dump
        self.timeout = (connect_timeout, read_timeout)
        self.call_deadline = call_deadline
        self.max_answer_bytes = int(max_answer_bytes)
        self.verify_tls = verify_tls
        self.concurrency = max(1, concurrency)
        self.batch_size = batch_size  # 0: never batch
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.last_server_date: datetime | None = None
        self.requests_sent = 0  # HTTP requests made (a batch is one); read for run summaries
        self.session = session or requests.Session()
        pool = WatchedAdapter(pool_connections=1, pool_maxsize=self.concurrency, max_retries=0, pool_block=True)
        self.session.mount("https://", pool)
        self.session.mount("http://", pool)
        if not verify_tls:
            log.warning("moodle.tls_verification_off", url=self.shown_url)
            host = re.escape(urlsplit(self.url).hostname or "")
            warnings.filterwarnings("ignore", f".*'{host}'", urllib3.exceptions.InsecureRequestWarning)

    def __repr__(self) -> str:
        return f"MoodleClient(url={self.shown_url!r})"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> MoodleClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- single calls ----------------------------------------------------------------------

    def call(self, function: str, /, **arguments: Any) -> Any:
        """Call one function; registered functions come back as their typed model."""
        return parse_response(function, self.call_raw(function, arguments))

    def call_raw(self, function: str, arguments: Mapping[str, Any], *, repeatable: bool | None = None) -> Any:
        """Call one function and return its decoded JSON, retrying what may be retried."""
        if repeatable is None:
            repeatable = is_read(function)
        budget = _RetryBudget(self.retry)
        retrying = Retrying(
            retry=retry_if_exception(lambda exc: self._should_retry(exc, repeatable)),
            wait=self._wait,
            stop=budget.exhausted,
            sleep=self._sleep,
            reraise=True,
            before_sleep=lambda state: log.info(
                "moodle.retry",
                function=function,
                attempt=state.attempt_number,
                error=type(state.outcome.exception() if state.outcome else None).__name__,
                wait_s=round(state.upcoming_sleep, 2),
            ),
        )
        return retrying(self._send, function, arguments)

    def _send(self, function: str, arguments: Mapping[str, Any]) -> Any:
        token = _RedactedStr(self._token.get_secret_value())
        self.requests_sent += 1  # += on an int under the GIL: exact enough for a summary
        fields = encode_call(function, arguments, token)
        started = time.perf_counter()
        outcome = "ok"
        try:
            response, body = self._exchange(function, fields)
            self._note_server_date(response.headers.get("Date"))
            data = interpret(function, response.status_code, response.headers, body, response.reason)
            self._surface_warnings(function, data)
            return data
        except MoodleError as exc:
            outcome = exc.errorcode or type(exc).__name__
            _scrub(exc, token)
            raise
        finally:
            log.debug(
                "moodle.call", function=function, outcome=outcome,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )

    def _exchange(self, function: str, fields: FormFields) -> tuple[requests.Response, bytes]:
        """One POST and its whole answer, within the deadline and the size limit."""
        failure: MoodleError
        with Watch(self.call_deadline) as watch:
            try:
                # Never follow a redirect: a 307/308 would re-send the token to another host.
                response = self.session.post(
                    self.endpoint, data=fields, timeout=self.timeout, verify=self.verify_tls,
                    headers={"Accept": "application/json"}, allow_redirects=False, stream=True,
                )
                try:
                    return response, read_body(response, self.max_answer_bytes)
                finally:
                    response.close()
            except TooLarge as exc:
                failure = AnswerTooLarge(
                    f"the answer from {self.shown_url} is longer than {self.max_answer_bytes / 2**20:g} MB "
                    f"(moodle.max_answer_mb; {exc.size / 2**20:.0f} MB seen or declared)", function=function)
            except (requests.RequestException, OSError) as exc:
                failure = self._transport_error(function, exc, watch.expired)
        raise failure  # outside the except block: the requests error (holding the body) is not chained

    def _transport_error(self, function: str, exc: OSError, deadline_passed: bool = False) -> MoodleError:
        if deadline_passed:
            return DeadlineExceeded(f"no complete answer from {self.shown_url} within {self.call_deadline:g} s "
                                    "(moodle.call_deadline)", function=function)
        if isinstance(exc, requests.Timeout):
            # A connect timeout too: we do not claim it never reached Moodle.
            return MoodleTimeout(f"no answer from {self.shown_url} within the timeout", function=function)
        never_sent = _never_sent(exc)
        what = "could not connect to" if never_sent else "lost the connection to"
        return MoodleConnectionError(
            f"{what} {self.shown_url} ({type(exc).__name__})", function=function, never_sent=never_sent
        )

    def _note_server_date(self, header: str | None) -> None:
        when = parse_http_date(header)  # always aware: a zone-less date is UTC
        if when is not None:
            self.last_server_date = when

    @staticmethod
    def _surface_warnings(function: str, data: Any) -> None:
        if isinstance(data, dict) and data.get("warnings"):
            log.warning("moodle.warnings", function=function, warnings=data["warnings"])

    # --- retry policy ----------------------------------------------------------------------

    @staticmethod
    def _should_retry(exc: BaseException, repeatable: bool) -> bool:
        if not isinstance(exc, MoodleError):
            return False
        if repeatable:
            return exc.retryable
        return isinstance(exc, MoodleConnectionError) and exc.never_sent

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, SiteMaintenance):
            return self.retry.maintenance_wait
        if isinstance(exc, MoodleHTTPError) and exc.retry_after is not None:
            return min(exc.retry_after, self.retry.max_wait)
        return wait_exponential_jitter(multiplier=0.5, max=self.retry.max_wait)(state)

    # --- many calls --------------------------------------------------------------------------

    def call_many(
        self, calls: Sequence[Call], *, concurrency: int | None = None
    ) -> list[Any | MoodleError]:
        """Run independent calls on a bounded pool; results in order, a failure as its error."""

        def one(call: Call) -> Any:
            try:
                return self.call(call.function, **call.arguments)
            except MoodleError as exc:
                return exc

        return self._map(one, calls, concurrency)

    def call_batched(
        self, calls: Sequence[Call], *, batch_size: int | None = None, concurrency: int | None = None
    ) -> list[Any | MoodleError]:
        """Like :meth:`call_many`, ``batch_size`` calls per HTTP request (the client's default
        when not given; 0 falls back to one call per request).

        Uses ``tool_mobile_call_external_functions``, which must be in the external service.
        A batch of reads only is retried like a read; one holding a write is not.
        """
        size = self.batch_size if batch_size is None else batch_size
        if size <= 0:
            return self.call_many(calls, concurrency=concurrency)
        chunks = [calls[i : i + size] for i in range(0, len(calls), size)]
        results = self._map(self._run_batch, chunks, concurrency)
        return [item for chunk in results for item in chunk]

    def _run_batch(self, chunk: Sequence[Call]) -> list[Any | MoodleError]:
        """One batch; re-sent from the first unanswered call after an inner failure.

        Moodle stops a batch at the first call that fails ("Do not process the remaining
        requests" in tool_mobile's external.php; the lab recording shows 2 answers to 3 calls),
        so the calls after it never ran and are sent again, writes included.
        """
        results: list[Any | MoodleError] = []
        pending = list(chunk)
        while pending:
            answers = self._send_batch(pending)
            if isinstance(answers, MoodleError):
                return results + [answers] * len(pending)
            complete = len(answers) == len(pending)
            stopped_at_error = 0 < len(answers) < len(pending) and answers[-1].error
            if not (complete or stopped_at_error):
                mismatch = UnexpectedResponse(
                    f"{len(pending)} batched calls got {len(answers)} answers", function=BATCH_FUNCTION
                )
                return results + [mismatch] * len(pending)
            results.extend(_unpack_batch_item(c.function, a) for c, a in zip(pending, answers, strict=False))
            pending = pending[len(answers):]
        return results

    def _send_batch(self, calls: Sequence[Call]) -> list[m.BatchItem] | MoodleError:
        requests_ = [
            {"function": c.function, "arguments": encode_batch_arguments(c.arguments)} for c in calls
        ]
        repeatable = all(is_read(c.function) for c in calls)
        try:
            answer = self.call_raw(BATCH_FUNCTION, {"requests": requests_}, repeatable=repeatable)
            return m.BatchResponse.model_validate(answer).responses
        except MoodleError as exc:
            return exc
        except ValidationError:
            return UnexpectedResponse("the batch answer has no 'responses' list", function=BATCH_FUNCTION)

    def _map(self, fn: Callable[[Any], Any], items: Sequence[Any], concurrency: int | None) -> list[Any]:
        workers = min(concurrency or self.concurrency, self.concurrency, max(1, len(items)))
        if workers == 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="moodle") as pool:
            return list(pool.map(fn, items))


def _unpack_batch_item(function: str, item: m.BatchItem) -> Any:
    if item.error:
        try:
            payload = json.loads(item.exception or "{}")
        except ValueError:
            payload = {"message": item.exception or "unknown error"}
        return api_error(function, payload)
    try:
        data = json.loads(item.data) if item.data else None
    except ValueError:
        return UnexpectedResponse("a batched answer is not JSON", function=function)
    try:
        return parse_response(function, data)
    except MoodleError as exc:
        return exc

"""A stand-in Moodle that answers each call with the closest real recording.

For each request it picks, among the recorded fixtures of the same function, the one whose
parameters match the request best, and answers what the real Moodle answered (status and
body). It checks the token like Moodle does. It serves ``moodle-bridge doctor
--against-fixtures`` until the full simulator exists; it knows nothing of the client.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from .php_form import as_lists, decode_form

REPO_FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "moodle"
ENVELOPE = {"wstoken", "wsfunction", "moodlewsrestformat"}


BATCH = "tool_mobile_call_external_functions"


def _as_strings(value: Any) -> Any:
    """JSON arguments as PHP would see them in a form: every leaf a string."""
    if isinstance(value, dict):
        return {k: _as_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_strings(v) for v in value]
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


class Recording:
    def __init__(self, path: Path) -> None:
        raw = json.loads(path.read_text(encoding="utf-8"))
        self.path = path
        self.function: str = raw["function"]
        self.params: dict[str, str] = {k: v for k, v in raw["params"].items() if k not in ENVELOPE}
        self.arguments: dict[str, Any] = as_lists(decode_form(self.params.items()))
        self.format: str = raw["params"].get("moodlewsrestformat", "json")
        self.status: int = raw["http_status"]
        self.response: Any = raw["response"]
        self.is_error = path.parent.name == "errors"

    def body(self) -> bytes:
        return json.dumps(self.response).encode()


def load_recordings(folder: Path = REPO_FIXTURES) -> dict[str, list[Recording]]:
    if not folder.is_dir():
        raise FileNotFoundError(
            f"no recordings at {folder}: the replay Moodle needs a source checkout of moodle_bridge"
        )
    by_function: dict[str, list[Recording]] = defaultdict(list)
    for path in sorted(folder.rglob("*.json")):
        if path.name == "INDEX.json" or path.name == "functions.json":
            continue
        recording = Recording(path)
        if not recording.is_error and recording.format == "json":  # successes only
            by_function[recording.function].append(recording)
    return by_function


def best_match(candidates: list[Recording], arguments: dict[str, Any]) -> Recording:
    """The recording whose arguments agree with the call's on the most top-level names."""

    def score(rec: Recording) -> tuple[int, int]:
        same = sum(1 for k, v in arguments.items() if rec.arguments.get(k) == v)
        return same, -abs(len(rec.arguments) - len(arguments))

    return max(candidates, key=score)


class ReplayMoodle:
    """``with ReplayMoodle(token) as moodle: moodle.url`` serves on 127.0.0.1, a free port."""

    def __init__(self, token: str, folder: Path = REPO_FIXTURES) -> None:
        self.token = token
        self.recordings = load_recordings(folder)
        self.calls: list[tuple[str, dict[str, str]]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def answer(self, form: dict[str, str]) -> tuple[int, bytes]:
        function = form.get("wsfunction", "")
        params = {k: v for k, v in form.items() if k not in ENVELOPE}
        self.calls.append((function, params))
        if form.get("wstoken") != self.token:
            return 200, _error("moodle_exception", "invalidtoken", "Invalid token - token not found")
        arguments = as_lists(decode_form(params.items()))
        if function == BATCH:
            answers = []
            for request in arguments.get("requests", []):
                answers.append(self._inner(request))
                if answers[-1]["error"]:
                    break  # as Moodle does: the calls after a failing one are not run
            return 200, json.dumps({"responses": answers}).encode()
        if function not in self.recordings:
            return 200, _error("dml_missing_record_exception", "invalidrecordunknown",
                               "Can't find data record in database.")
        recording = best_match(self.recordings[function], arguments)
        return recording.status, recording.body()

    def _inner(self, request: dict[str, Any]) -> dict[str, Any]:
        function = request.get("function", "")
        if function not in self.recordings:
            return {"error": True, "exception": json.dumps(
                {"message": "Can't find data record in database.", "errorcode": "invalidrecordunknown"})}
        arguments = _as_strings(json.loads(request.get("arguments") or "{}"))
        return {"error": False, "data": json.dumps(best_match(self.recordings[function], arguments).response)}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # else delayed ACKs add 40 ms to small answers

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                if self.path.split("?")[0] != "/webservice/rest/server.php":
                    status, body = 404, b"Not found"
                else:
                    status, body = replay.answer(form)
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:  # quiet: the client logs its calls
                pass

        return Handler

    def __enter__(self) -> ReplayMoodle:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _error(exception: str, errorcode: str, message: str) -> bytes:
    return json.dumps({"exception": exception, "errorcode": errorcode, "message": message}).encode()

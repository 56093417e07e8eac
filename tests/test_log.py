"""Log lines: JSON for collectors, and no secret under any name."""

from __future__ import annotations

import io
import json

import responses
import structlog

from moodle_bridge.log import configure_logging
from moodle_bridge.moodle import MoodleClient
from tests.conftest import load_fixture


@responses.activate
def test_json_lines_carry_each_call_and_never_the_token():
    stream = io.StringIO()
    configure_logging("debug", "json", stream=stream)
    try:
        responses.post("https://m.test/webservice/rest/server.php",
                       json=load_fixture("core_webservice_get_site_info.json")["response"])
        MoodleClient("https://m.test", "tok-SECRET-9").call("core_webservice_get_site_info")
        structlog.get_logger("x").info("something", token="tok-SECRET-9", wstoken="tok-SECRET-9")
    finally:
        configure_logging("info", "console", stream=io.StringIO())
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    call = next(line for line in lines if line["event"] == "moodle.call")
    assert call["function"] == "core_webservice_get_site_info" and call["outcome"] == "ok"
    assert call["level"] == "debug" and call["duration_ms"] >= 0
    assert "tok-SECRET-9" not in stream.getvalue()

"""MoodleClient behaviour: retries, write safety, concurrency, batching, and the token."""

from __future__ import annotations

import json
import re
import threading
from urllib.parse import parse_qsl

import pytest
import requests
import responses
import urllib3
from structlog.testing import capture_logs

from moodle_bridge.moodle import (
    Call,
    InvalidParameter,
    InvalidToken,
    MissingCapability,
    MoodleClient,
    MoodleConnectionError,
    MoodleHTTPError,
    MoodleTimeout,
    NotFound,
    RetryPolicy,
    SiteMaintenance,
    UserNotEnrolled,
)
from moodle_bridge.moodle.models import CourseCompletionStatus, SiteInfo
from tests.conftest import load_fixture

URL = "https://moodle.test"
ENDPOINT = URL + "/webservice/rest/server.php"
TOKEN = "0a1b2c3d4e5f-very-secret"


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(sleeps) -> MoodleClient:
    return MoodleClient(URL, TOKEN, sleep=sleeps, retry=RetryPolicy(attempts=4, max_wait=10,
                                                                        maintenance_wait=60,
                                                                        maintenance_patience=300))


def _json(recording: str) -> str:
    return json.dumps(load_fixture(recording)["response"])


def _error(code: str, message: str = "msg") -> dict:
    return {"exception": "moodle_exception", "errorcode": code, "message": message}


def _refused() -> requests.ConnectionError:
    """What requests raises when nothing listens on the port."""
    reason = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: [Errno 111]")
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, ENDPOINT, reason))


def _dropped() -> requests.ConnectionError:
    """The connection closed after the request went out."""
    reason = urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
    return requests.ConnectionError(reason)


# --- the request ---------------------------------------------------------------------------------


@responses.activate
def test_posts_form_with_token_in_body_never_in_url(client):
    responses.post(ENDPOINT, body=_json("core_webservice_get_site_info.json"))
    site = client.call("core_webservice_get_site_info")
    assert isinstance(site, SiteInfo) and site.release == "5.1+ (Build: 20251017)"
    request = responses.calls[0].request
    assert TOKEN not in request.url
    assert dict(parse_qsl(request.body)) == {
        "wstoken": TOKEN, "wsfunction": "core_webservice_get_site_info", "moodlewsrestformat": "json",
    }


@responses.activate
def test_typed_answer_for_registered_functions_and_raw_json_for_others(client):
    responses.post(ENDPOINT, body=_json("core_completion_get_course_completion_status.json"))
    responses.post(ENDPOINT, body="0")
    assert isinstance(client.call("core_completion_get_course_completion_status", courseid=8, userid=6),
                      CourseCompletionStatus)
    assert client.call("core_grades_update_grades", courseid=29) == 0


def test_token_is_not_in_repr(client):
    assert TOKEN not in repr(client) and TOKEN not in str(vars(client))


# --- retries ---------------------------------------------------------------------------------------


@responses.activate
def test_read_retried_after_5xx_then_succeeds(client, sleeps):
    responses.post(ENDPOINT, status=502, body="Bad gateway")
    responses.post(ENDPOINT, status=500, body="oops")
    responses.post(ENDPOINT, body=_json("core_webservice_get_site_info.json"))
    assert client.call("core_webservice_get_site_info").username == "bridge"
    assert len(responses.calls) == 3 and len(sleeps) == 2


@responses.activate
def test_429_honours_retry_after(client, sleeps):
    responses.post(ENDPOINT, status=429, headers={"Retry-After": "7"}, body="")
    responses.post(ENDPOINT, body=_json("core_webservice_get_site_info.json"))
    client.call("core_webservice_get_site_info")
    assert sleeps == [7.0]


@responses.activate
def test_retry_after_is_capped_by_max_wait(client, sleeps):
    responses.post(ENDPOINT, status=503, headers={"Retry-After": "3600"}, body="busy")
    responses.post(ENDPOINT, body=_json("core_webservice_get_site_info.json"))
    client.call("core_webservice_get_site_info")
    assert sleeps == [10.0]


@responses.activate
def test_gives_up_after_the_configured_attempts(client, sleeps):
    responses.post(ENDPOINT, status=500, body="oops")
    with pytest.raises(MoodleHTTPError):
        client.call("core_webservice_get_site_info")
    assert len(responses.calls) == 4


@responses.activate
def test_maintenance_waits_longer_and_gives_up_after_its_patience(client, sleeps):
    responses.post(ENDPOINT, json=_error("sitemaintenance"))
    with pytest.raises(SiteMaintenance):
        client.call("core_webservice_get_site_info")
    assert sleeps and set(sleeps) == {60.0} and sum(sleeps) <= 300
    assert len(responses.calls) == len(sleeps) + 1 == 6  # more than `attempts`: patience rules here


@responses.activate
def test_cli_maintenance_page_is_retried_then_succeeds(client, sleeps):
    page = load_fixture("errors/cli_maintenance_mode.json")["response"]
    responses.post(ENDPOINT, status=503, body=page)
    responses.post(ENDPOINT, body=_json("core_webservice_get_site_info.json"))
    client.call("core_webservice_get_site_info")
    assert sleeps == [60.0]


@responses.activate
def test_lock_timeout_is_retried(client, sleeps):
    responses.post(ENDPOINT, json=_error("locktimeout"))
    responses.post(ENDPOINT, body=_json("core_webservice_get_site_info.json"))
    client.call("core_webservice_get_site_info")
    assert len(responses.calls) == 2


@pytest.mark.parametrize("errorcode, error", [
    ("invalidtoken", InvalidToken), ("nopermissions", MissingCapability),
    ("invalidparameter", InvalidParameter), ("invalidrecordunknown", NotFound),
    ("usernotenroled", UserNotEnrolled),
])
@responses.activate
def test_never_retries_what_cannot_succeed(client, sleeps, errorcode, error):
    responses.post(ENDPOINT, json=_error(errorcode))
    with pytest.raises(error):
        client.call("core_completion_get_course_completion_status", courseid=1, userid=2)
    assert len(responses.calls) == 1 and sleeps == []


@responses.activate
def test_read_retried_after_timeout_and_dropped_connection(client):
    responses.post(ENDPOINT, body=requests.ReadTimeout("read timed out"))
    responses.post(ENDPOINT, body=_dropped())
    responses.post(ENDPOINT, body=_json("core_webservice_get_site_info.json"))
    client.call("core_webservice_get_site_info")
    assert len(responses.calls) == 3


# --- writes: only when the request provably never reached Moodle --------------------------------

ENROL = ("enrol_manual_enrol_users", {"enrolments": [{"roleid": 5, "userid": 315, "courseid": 29}]})


@responses.activate
def test_write_retried_when_the_connection_was_refused(client):
    responses.post(ENDPOINT, body=_refused())
    responses.post(ENDPOINT, body="null")
    assert client.call(ENROL[0], **ENROL[1]) is None
    assert len(responses.calls) == 2


@pytest.mark.parametrize("failure, error", [
    (lambda: requests.ReadTimeout("read timed out"), MoodleTimeout),
    (lambda: requests.ConnectTimeout("connect timed out"), MoodleTimeout),
    (_dropped, MoodleConnectionError),
])
@responses.activate
def test_write_never_retried_when_it_may_have_reached_moodle(client, failure, error):
    responses.post(ENDPOINT, body=failure())
    responses.post(ENDPOINT, body="null")
    with pytest.raises(error):
        client.call(ENROL[0], **ENROL[1])
    assert len(responses.calls) == 1


@pytest.mark.parametrize("status", [500, 503, 429])
@responses.activate
def test_write_not_retried_after_http_errors(client, status):
    responses.post(ENDPOINT, status=status, body="")
    with pytest.raises(MoodleHTTPError):
        client.call(ENROL[0], **ENROL[1])
    assert len(responses.calls) == 1


def test_refused_connection_is_recognised_on_a_real_socket():
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    real = MoodleClient(f"http://127.0.0.1:{port}", TOKEN, retry=RetryPolicy(attempts=2), sleep=lambda s: None)
    with pytest.raises(MoodleConnectionError) as caught:
        real.call(ENROL[0], **ENROL[1])
    assert caught.value.never_sent and TOKEN not in str(caught.value)


# --- many calls --------------------------------------------------------------------------------


def test_call_many_keeps_order_captures_errors_and_bounds_concurrency():
    in_flight, peak, lock = 0, 0, threading.Lock()
    overlapped = threading.Event()  # two calls in flight at once: no guessed sleep, so no machine is too slow

    def answer(request):
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
            if in_flight >= 2:
                overlapped.set()
        overlapped.wait(60)  # a client that never overlaps its calls fails below, after this bound
        with lock:
            in_flight -= 1
        courseid = int(dict(parse_qsl(request.body))["courseid"])
        if courseid == 3:
            return 200, {}, json.dumps(_error("invalidrecordunknown"))
        return 200, {}, json.dumps([{"cohortid": courseid, "userids": [courseid]}])

    client = MoodleClient(URL, TOKEN, concurrency=3)
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, ENDPOINT, callback=answer)
        calls = [Call("core_cohort_get_cohort_members", {"cohortids": [i], "courseid": i}) for i in range(12)]
        results = client.call_many(calls)
    assert [r[0].cohortid if isinstance(r, list) else None for r in results] == [
        0, 1, 2, None, 4, 5, 6, 7, 8, 9, 10, 11]
    assert isinstance(results[3], NotFound)
    assert 1 < peak <= 3


@responses.activate
def test_batch_packs_calls_and_unpacks_typed_answers_and_inner_errors(client):
    recording = load_fixture("tool_mobile_call_external_functions.json")
    responses.post(ENDPOINT, json=recording["response"])  # 2 answers: Moodle stopped at the error
    third = json.loads(recording["params"]["requests[2][arguments]"])
    enrolled = [{"id": 6, "idnumber": "CD260001", "fullname": "Haitao Yao"}]
    responses.post(ENDPOINT, json={"responses": [{"error": False, "data": json.dumps(enrolled)}]})
    calls = [
        Call("core_completion_get_course_completion_status", {"courseid": 8, "userid": 6}),
        Call("core_completion_get_course_completion_status", {"courseid": 99999, "userid": 6}),
        Call("core_enrol_get_enrolled_users", {"courseid": 8, "options": [
            {"name": "userfields", "value": "id,idnumber"}, {"name": "limitnumber", "value": 3}]}),
    ]
    results = client.call_batched(calls, batch_size=10)
    sent = dict(parse_qsl(responses.calls[0].request.body))
    assert {k: v for k, v in sent.items() if k != "wstoken"} == {
        k: v for k, v in recording["params"].items() if k != "wstoken"}
    assert isinstance(results[0], CourseCompletionStatus) and results[0].completionstatus.completed
    assert isinstance(results[1], NotFound) and results[1].errorcode == "invalidrecordunknown"
    resent = dict(parse_qsl(responses.calls[1].request.body))
    assert resent["requests[0][function]"] == "core_enrol_get_enrolled_users"
    assert json.loads(resent["requests[0][arguments]"]) == third and "requests[1][function]" not in resent
    assert [u.idnumber for u in results[2]] == ["CD260001"]


@responses.activate
def test_batch_answer_with_the_wrong_count_fails_every_item(client):
    responses.post(ENDPOINT, json={"responses": []})
    results = client.call_batched([Call("core_webservice_get_site_info")] * 2, batch_size=5)
    assert all(type(r).__name__ == "UnexpectedResponse" for r in results)


@responses.activate
def test_batch_of_reads_is_retried_but_batch_with_a_write_is_not(client):
    responses.post(ENDPOINT, status=500, body="")
    site_info = _json("core_webservice_get_site_info.json")
    responses.post(ENDPOINT, json={"responses": [{"error": False, "data": site_info}]})
    assert client.call_batched([Call("core_webservice_get_site_info")])[0].username == "bridge"
    assert len(responses.calls) == 2
    responses.calls.reset()
    responses.replace(responses.POST, ENDPOINT, status=500, body="")
    result = client.call_batched([Call(*ENROL)])
    assert isinstance(result[0], MoodleHTTPError) and len(responses.calls) == 1


# --- logging and warnings -------------------------------------------------------------------------


@responses.activate
def test_each_call_logged_at_debug_without_the_token(client):
    from moodle_bridge.log import configure_logging

    configure_logging("debug", "console", stream=__import__("io").StringIO())
    responses.post(ENDPOINT, body=_json("core_webservice_get_site_info.json"))
    responses.post(ENDPOINT, json=_error("invalidtoken"))
    with capture_logs() as logs:
        client.call("core_webservice_get_site_info")
        with pytest.raises(InvalidToken):
            client.call("core_webservice_get_site_info")
    calls = [entry for entry in logs if entry["event"] == "moodle.call"]
    assert [(c["function"], c["outcome"], c["log_level"]) for c in calls] == [
        ("core_webservice_get_site_info", "ok", "debug"),
        ("core_webservice_get_site_info", "invalidtoken", "debug"),
    ]
    assert all(isinstance(c["duration_ms"], float) for c in calls)
    assert TOKEN not in repr(logs)


@responses.activate
def test_warnings_of_successful_calls_are_surfaced(client):
    recording = load_fixture("extra/mod_assign_get_assignments__not_enrolled_caller.json")
    responses.post(ENDPOINT, json=recording["response"])
    with capture_logs() as logs:
        client.call_raw(recording["function"], {"courseids": [2]})
    warned = [e for e in logs if e["event"] == "moodle.warnings"]
    assert warned and warned[0]["warnings"][0]["message"].startswith("User is not enrolled")


def test_tls_verification_is_on_unless_turned_off_with_a_warning():
    assert MoodleClient(URL, TOKEN).verify_tls is True
    with capture_logs() as logs:
        insecure = MoodleClient(URL, TOKEN, verify_tls=False)
    assert insecure.verify_tls is False
    assert [e["event"] for e in logs] == ["moodle.tls_verification_off"]


@responses.activate
def test_verify_flag_reaches_requests(client):
    responses.post(ENDPOINT, body=_json("core_webservice_get_site_info.json"))
    client.call("core_webservice_get_site_info")
    assert responses.calls[0].request.req_kwargs["verify"] not in (False, None)  # True or a CA bundle


# --- review findings: alignment, redirects, leaks, retry budget ---------------------------------


@pytest.mark.parametrize("answers", [
    [{"error": False, "data": "[]"}] * 3,  # more answers than calls
    [{"error": False, "data": "[]"}],  # fewer, without an error to explain it
])
@responses.activate
def test_batch_with_a_wrong_answer_count_keeps_results_aligned(client, answers):
    responses.post(ENDPOINT, json={"responses": answers})
    calls = [Call("core_cohort_get_cohort_members", {"cohortids": [i]}) for i in range(2)]
    results = client.call_batched(calls, batch_size=2)
    assert len(results) == 2 and all(type(r).__name__ == "UnexpectedResponse" for r in results)


@responses.activate
def test_batch_size_zero_means_one_call_per_request(sleeps):
    client = MoodleClient(URL, TOKEN, batch_size=0, sleep=sleeps)
    responses.post(ENDPOINT, body=_json("core_webservice_get_site_info.json"))
    results = client.call_batched([Call("core_webservice_get_site_info")] * 3)
    assert len(results) == 3 and len(responses.calls) == 3
    assert all(dict(parse_qsl(c.request.body))["wsfunction"] == "core_webservice_get_site_info"
               for c in responses.calls)


@responses.activate
def test_redirects_are_not_followed(client):
    responses.post(ENDPOINT, status=307, headers={"Location": "https://elsewhere.example/x"})
    responses.post("https://elsewhere.example/x", body="{}")
    with pytest.raises(Exception, match=re.escape("redirects the web-service endpoint to https://elsewhere.example/x")):
        client.call("core_webservice_get_site_info")
    assert [c.request.url for c in responses.calls] == [ENDPOINT]


@responses.activate
def test_token_echoed_by_moodle_debugging_is_masked(client):
    echo = {"exception": "dml_read_exception", "errorcode": "dmlreadexception",
            "message": "Error reading from database",
            "debuginfo": f"SELECT * FROM mdl_external_tokens WHERE token = '{TOKEN}'"}
    responses.post(ENDPOINT, json=echo)
    with pytest.raises(Exception) as caught:
        client.call("core_webservice_get_site_info")
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value.args)
    assert "mdl_external_tokens" in str(caught.value)


@responses.activate
def test_no_exception_in_the_chain_holds_the_request_body(client):
    responses.post(ENDPOINT, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(MoodleTimeout) as caught:
        client.call(ENROL[0], **ENROL[1])
    chain, exc = [], caught.value
    while exc is not None:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    assert len(chain) == 1


@responses.activate
def test_traceback_with_locals_does_not_show_the_token(client):
    import traceback

    responses.post(ENDPOINT, json=_error("invalidtoken"))
    with pytest.raises(InvalidToken) as caught:
        client.call("core_webservice_get_site_info")
    rendered = "".join(traceback.TracebackException.from_exception(caught.value, capture_locals=True).format())
    assert "fields" in rendered and TOKEN not in rendered


@responses.activate
def test_maintenance_waits_do_not_use_up_the_transient_attempts(client, sleeps):
    for _ in range(3):
        responses.post(ENDPOINT, json=_error("sitemaintenance"))
    responses.post(ENDPOINT, status=502, body="")
    responses.post(ENDPOINT, status=502, body="")
    responses.post(ENDPOINT, body=_json("core_webservice_get_site_info.json"))
    assert client.call("core_webservice_get_site_info").username == "bridge"
    assert len(responses.calls) == 6 and sleeps[:3] == [60.0] * 3

"""Every real error recording maps to exactly one exception class."""

from __future__ import annotations

import json

import pytest
import responses

from moodle_bridge.moodle import (
    AccessDenied,
    InvalidParameter,
    InvalidToken,
    MissingCapability,
    MoodleAPIError,
    MoodleClient,
    NotFound,
    RetryPolicy,
    SiteMaintenance,
    UnexpectedResponse,
    UserNotEnrolled,
    WebServicesUnavailable,
)
from moodle_bridge.moodle._response import interpret
from tests.conftest import FIXTURES, load_fixture

# One row per file in errors/: the class raised, asserted with `type(e) is`. None: not an error
# (the site administrator's token still works in maintenance mode; a capability missing for
# core_user_get_users is an empty list, which only doctor's probes can catch).
EXPECTED = {
    "cli_maintenance_mode.json": SiteMaintenance,
    "debug_on_duplicate_username_create_users.json": InvalidParameter,
    "debug_on_missing_required_parameter.json": InvalidParameter,
    "duplicate_username_create_users.json": InvalidParameter,
    "expired_enrolment_completion_status.json": UserNotEnrolled,
    "format_xml_course_by_field.json": UnexpectedResponse,
    "format_xml_error.json": UnexpectedResponse,
    "format_xml_site_info.json": UnexpectedResponse,
    "function_does_not_exist.json": NotFound,
    "function_not_in_service_accessexception.json": AccessDenied,
    "invalid_token.json": InvalidToken,
    "maintenance_mode.json": SiteMaintenance,
    "maintenance_mode_admin_token.json": None,
    "missing_required_parameter_invalidparameter.json": InvalidParameter,
    "no_capability_completion_status.json": MissingCapability,
    "no_capability_create_users.json": MissingCapability,
    "no_capability_enrolled_users.json": MissingCapability,
    "no_capability_get_users.json": None,
    "no_capability_retrieve_report.json": MissingCapability,
    "nonexistent_course_completion_status.json": NotFound,
    "nonexistent_course_enrolled_users.json": NotFound,
    "nonexistent_course_get_contents.json": NotFound,
    "nonexistent_user_completion_status.json": NotFound,
    "rest_protocol_disabled.json": WebServicesUnavailable,
    "suspended_enrolment_completion_status.json": UserNotEnrolled,
    "unexpected_parameter_invalidparameter.json": InvalidParameter,
    "user_not_enrolled_completion_status.json": UserNotEnrolled,
    "weak_password_create_users.json": MoodleAPIError,
    "webservices_disabled.json": WebServicesUnavailable,
    "wrong_parameter_type_invalidparameter.json": InvalidParameter,
}


def test_the_table_names_every_error_recording():
    assert sorted(EXPECTED) == sorted(p.name for p in (FIXTURES / "errors").glob("*.json"))


def _wire(recording):
    """The bytes Moodle sent: JSON re-serialised, or the text page as recorded."""
    response = recording["response"]
    if recording.get("response_format") in ("text", "xml"):
        return response.encode()
    return b"" if response is None else json.dumps(response).encode()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_interpret_raises_the_expected_class(name):
    recording = load_fixture(f"errors/{name}")
    body = _wire(recording)
    expected = EXPECTED[name]
    if expected is None:
        assert interpret(recording["function"], recording["http_status"], {}, body) == recording["response"]
        return
    with pytest.raises(Exception) as caught:
        interpret(recording["function"], recording["http_status"], {}, body)
    assert type(caught.value) is expected
    assert caught.value.function == recording["function"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
@responses.activate
def test_the_client_raises_the_expected_class_over_http(name):
    recording = load_fixture(f"errors/{name}")
    token = "s3cret-token-value"
    responses.post("https://moodle.test/webservice/rest/server.php",
                   body=_wire(recording), status=recording["http_status"])
    client = MoodleClient("https://moodle.test", token, retry=RetryPolicy(attempts=1, maintenance_patience=0),
                          sleep=lambda s: None)
    arguments = {k: v for k, v in recording["params"].items()
                 if k not in ("wstoken", "wsfunction", "moodlewsrestformat")}
    expected = EXPECTED[name]
    if expected is None:
        client.call_raw(recording["function"], arguments)
        return
    with pytest.raises(Exception) as caught:
        client.call_raw(recording["function"], arguments)
    assert type(caught.value) is expected
    assert token not in str(caught.value) and token not in repr(caught.value)


def test_debuginfo_and_errorcode_are_kept_for_the_administrator():
    recording = load_fixture("errors/debug_on_missing_required_parameter.json")
    with pytest.raises(InvalidParameter) as caught:
        interpret(recording["function"], 200, {}, json.dumps(recording["response"]).encode())
    assert caught.value.errorcode == "invalidparameter"
    assert "Missing required key in single structure: courseid" in str(caught.value)


def test_a_plain_503_from_a_proxy_is_not_maintenance():
    from moodle_bridge.moodle import MoodleHTTPError

    with pytest.raises(MoodleHTTPError) as caught:
        interpret("f", 503, {}, b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
    assert caught.value.retryable and type(caught.value) is MoodleHTTPError


@pytest.mark.parametrize("headers, reason", [
    ({"Retry-After": "300"}, "Service Unavailable"),  # a page in another language
    ({}, "Moodle under maintenance"),  # the status line Moodle's setup.php sends
])
def test_cli_maintenance_is_recognised_whatever_the_site_language(headers, reason):
    page = "<!DOCTYPE html><html lang=\"zh-cn\"><title>站点维护中</title><body>本站正在维护，请稍后再来。</body></html>"
    with pytest.raises(SiteMaintenance):
        interpret("f", 503, headers, page.encode(), reason)


def test_a_redirect_is_reported_with_its_target_not_followed():
    with pytest.raises(UnexpectedResponse) as caught:
        interpret("f", 307, {"Location": "https://elsewhere.example/webservice/rest/server.php"}, b"")
    assert "elsewhere.example" in str(caught.value) and "moodle.url" in str(caught.value)

"""doctor with the cadre page on (web.cadre_page): Moodle's token endpoint asked about a made-up user answers
Moodle's refusal (invalidlogin) when cadres can sign in; another answer says what to turn on."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest
import responses
from click.testing import CliRunner

from moodle_bridge.cli import main
from moodle_bridge.config import Settings
from moodle_bridge.doctor import cadre_sign_in_verdict, run_doctor
from moodle_bridge.moodle import MoodleClient, RetryPolicy
from tests.test_doctor import ENDPOINT, URL, RoutedMoodle, statuses, store  # noqa: F401 - the fixture

TOKEN_ENDPOINT = URL + "/login/token.php"
NAME = "cadres' sign-in"


def refusal(errorcode: str):
    """Moodle's token.php refusal (HTTP 200, JSON), and what it was asked."""
    asked: list[dict[str, str]] = []

    def answer(request):
        asked.append(dict(parse_qsl(request.body)))
        return 200, {}, json.dumps({"error": "refused", "errorcode": errorcode, "stacktrace": None,
                                    "debuginfo": None, "reproductionlink": None})
    return answer, asked


def doctor(store, token_answer=None, cadre_page: bool = True, token_status: int = 200):  # noqa: F811
    settings = Settings(moodle={"url": URL, "completions_report_id": 2}, web={"cadre_page": cadre_page})
    client = MoodleClient(URL, "t0ken", retry=RetryPolicy(attempts=1), sleep=lambda s: None)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, ENDPOINT, callback=RoutedMoodle())
        if token_answer is not None:
            mock.add_callback(responses.POST, TOKEN_ENDPOINT, callback=token_answer)
        else:
            mock.add(responses.POST, TOKEN_ENDPOINT, status=token_status, body="<html>Not found</html>")
        report = run_doctor(settings, client, store)
        asked_token = any(c.request.url == TOKEN_ENDPOINT for c in mock.calls)
    return report, asked_token


def test_the_token_endpoint_refusing_a_made_up_user_is_ok(store):  # noqa: F811
    answer, asked = refusal("invalidlogin")
    report, _asked = doctor(store, answer)
    check = next(c for c in report.checks if c.name == NAME)
    assert check.status == "ok" and "refused a made-up user" in check.detail and report.ready
    (form,) = asked  # one request, a made-up name, the mobile app's service
    assert form["service"] == "moodle_mobile_app" and form["username"].startswith("moodle_bridge_probe")


@pytest.mark.parametrize("errorcode, status, words", [
    ("servicenotavailable", "fail", "Enable web services for mobile devices"),
    ("enablewsdescription", "fail", "web services are off"),
    ("cannotcreatetoken", "fail", "cannotcreatetoken"),
])
def test_another_answer_says_what_to_turn_on(store, errorcode, status, words):  # noqa: F811
    report, _asked = doctor(store, refusal(errorcode)[0])
    check = next(c for c in report.checks if c.name == NAME)
    assert check.status == status and words in check.detail, check
    assert not report.ready


def test_an_endpoint_that_does_not_answer_as_moodle_fails(store):  # noqa: F811
    report, _asked = doctor(store, token_status=404)
    check = next(c for c in report.checks if c.name == NAME)
    assert check.status == "fail" and "/login/token.php" in check.detail and "HTTP 404" in check.detail


def test_without_the_cadre_page_the_endpoint_is_not_asked(store):  # noqa: F811
    report, asked = doctor(store, refusal("invalidlogin")[0], cadre_page=False)
    assert NAME not in statuses(report) and not asked


def test_pure_verdicts():
    assert cadre_sign_in_verdict("invalidlogin")[0] == "ok"
    assert cadre_sign_in_verdict("sitemaintenance")[0] == "warn"
    assert cadre_sign_in_verdict("servicenotavailable")[0] == "fail"


def test_the_doctor_command_shows_the_check_and_its_json(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "moodle_bridge.toml").write_text(
        f'[moodle]\nurl = "{URL}"\ncompletions_report_id = 2\n[store]\nurl = "sqlite:///s.db"\n'
        '[web]\ncadre_page = true\n')
    monkeypatch.setenv("MOODLE_BRIDGE_MOODLE__TOKEN", "t0ken")
    monkeypatch.setenv("COLUMNS", "200")
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, ENDPOINT, callback=RoutedMoodle())
        mock.add_callback(responses.POST, TOKEN_ENDPOINT, callback=refusal("servicenotavailable")[0])
        english = CliRunner().invoke(main, ["doctor"])
        data = json.loads(CliRunner().invoke(main, ["doctor", "--json"]).output)
    assert english.exit_code == 1 and NAME in english.output and "Mobile settings" in english.output
    check = next(c for c in data["checks"] if c["name"] == NAME)
    assert check["status"] == "fail" and data["ready"] is False

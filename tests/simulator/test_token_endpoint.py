"""The simulated /login/token.php answers as Moodle's login/token.php does (read from Moodle's source)."""

from __future__ import annotations

import pytest
import requests

from moodle_bridge.moodle import MoodleError
from moodle_bridge.moodle.token_login import SignInRefused, probe, sign_in
from moodle_bridge.simulator.data import DEFAULT_PASSWORD
from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle

REFUSAL_KEYS = ["error", "errorcode", "stacktrace", "debuginfo", "reproductionlink"]


@pytest.fixture
def moodle():
    simulated = SimulatedMoodle(generate("small"))
    with simulated.serve():
        yield simulated


def cadre_of(moodle):
    return next(u for u in moodle.site.users.values() if u.idnumber and not u.suspended)


def post(moodle, **form):
    return requests.post(moodle.siteurl + "/login/token.php", data=form, timeout=10)


def test_the_right_password_gives_the_users_mobile_token_again_and_again(moodle):
    user = cadre_of(moodle)
    first = post(moodle, username=f"  {user.username.upper()} ", password=DEFAULT_PASSWORD, service="moodle_mobile_app")
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("application/json")
    body = first.json()
    assert list(body) == ["token", "privatetoken"] and len(body["token"]) == 32 and body["privatetoken"] is None
    again = post(moodle, username=user.username, password=DEFAULT_PASSWORD, service="moodle_mobile_app").json()
    assert again["token"] == body["token"]  # an existing valid token is answered again
    assert sign_in(moodle.siteurl, user.username, DEFAULT_PASSWORD).userid == user.id


@pytest.mark.parametrize("case", ["wrong", "unknown", "suspended", "locked"])
def test_every_refused_user_gets_the_same_answer(moodle, case):
    user = cadre_of(moodle)
    password = DEFAULT_PASSWORD
    if case == "wrong":
        password = "not it"
    elif case == "unknown":
        user.username = "renamed"
    elif case == "suspended":
        moodle.site.suspend_user(user.id)
    else:
        moodle.token_endpoint.lockout_threshold = 3
        for _ in range(3):
            post(moodle, username=cadre_of(moodle).username, password="guess", service="moodle_mobile_app")
    name = cadre_of(moodle).username if case == "unknown" else user.username
    answer = post(moodle, username=name if case != "unknown" else "nobody", password=password,
                  service="moodle_mobile_app")
    assert answer.status_code == 200
    assert list(answer.json()) == REFUSAL_KEYS and answer.json()["errorcode"] == "invalidlogin"
    with pytest.raises(SignInRefused) as refused:
        sign_in(moodle.siteurl, name if case != "unknown" else "nobody", password)
    assert refused.value.errorcode == "invalidlogin" and password not in str(refused.value)


def test_settings_that_stop_sign_ins_are_said(moodle):
    user = cadre_of(moodle)
    assert probe(moodle.siteurl) == "invalidlogin"  # the endpoint checks passwords: a made-up user is refused
    moodle.token_endpoint.services.clear()  # "Enable web services for mobile devices" off
    answer = post(moodle, username=user.username, password=DEFAULT_PASSWORD, service="moodle_mobile_app").json()
    assert answer["errorcode"] == "servicenotavailable"
    assert post(moodle, username=user.username, password=DEFAULT_PASSWORD, service="other").json()["errorcode"] == (
        "servicenotavailable")
    moodle.token_endpoint.web_services = False
    assert probe(moodle.siteurl) == "enablewsdescription"
    assert post(moodle, username=user.username).json()["errorcode"] == "enablewsdescription"
    moodle.token_endpoint.web_services = True
    assert post(moodle, username=user.username).json()["errorcode"] == "missingparam"


def test_an_unreachable_or_foreign_endpoint_is_an_error_without_the_password(moodle):
    with pytest.raises(MoodleError) as failed:
        sign_in("http://127.0.0.1:9", "someone", "s3cret-password")
    assert "s3cret-password" not in str(failed.value)
    with pytest.raises(MoodleError):
        probe(moodle.siteurl + "/nothing-here")

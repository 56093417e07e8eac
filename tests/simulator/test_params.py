"""The simulator refuses bad parameters the way Moodle does (invalidparameter), on our functions."""

from __future__ import annotations

import json

import pytest

from moodle_bridge.simulator.generator import generate
from moodle_bridge.simulator.server import SimulatedMoodle

ENVELOPE = [("wstoken", "simulated-token"), ("moodlewsrestformat", "json")]


def ask(sim: SimulatedMoodle, function: str, **fields: str) -> dict:
    status, _headers, body = sim.handle([*ENVELOPE, ("wsfunction", function), *fields.items()])
    assert status == 200
    return json.loads(body)


@pytest.mark.parametrize("fields, debuginfo", [
    ({"userid": "6"}, "Missing required key in single structure: courseid"),
    ({"courseid": "abc", "userid": "6"}, 'the value is "abc", the server was expecting "int" type'),
    ({"courseid": "8", "userid": "6", "foo": "bar"}, "Unexpected keys (foo) detected"),
])
def test_invalid_parameters_are_refused_like_moodle(fields, debuginfo):
    sim = SimulatedMoodle(generate("small"))
    answer = ask(sim, "core_completion_get_course_completion_status", **fields)
    assert answer == {"exception": "core\\exception\\invalid_parameter_exception", "errorcode": "invalidparameter",
                      "message": "Invalid parameter value detected"}
    sim.debug = True
    assert debuginfo in ask(sim, "core_completion_get_course_completion_status", **fields)["debuginfo"]


def test_unknown_record_and_missing_capability():
    sim = SimulatedMoodle(generate("small"))
    assert ask(sim, "core_enrol_get_enrolled_users", courseid="999999")["errorcode"] == "invalidrecordunknown"
    _status, _h, body = sim.handle([("wstoken", "nocap-token"), ("moodlewsrestformat", "json"),
                                   ("wsfunction", "core_user_get_users_by_field"), ("field", "id"), ("values[0]", "6")])
    assert json.loads(body) == []  # hidden, not refused: only doctor's probes notice


def test_function_not_in_the_service_and_unknown_function():
    sim = SimulatedMoodle(generate("small"))
    sim.service = sim.service - {"core_reportbuilder_retrieve_report"}
    assert ask(sim, "core_reportbuilder_retrieve_report", reportid="2")["errorcode"] == "accessexception"
    assert ask(sim, "local_nothing_here")["errorcode"] == "invalidrecordunknown"

"""Contract tests: the response models against what a real Moodle 5.1 answered and declares."""

from __future__ import annotations

import copy
import inspect
import json
import types
from typing import Any, Union, get_args, get_origin

import pytest

from moodle_bridge.moodle import FUNCTIONS, UnexpectedResponse, parse_response
from moodle_bridge.moodle._response import interpret
from moodle_bridge.moodle.models import MoodleModel
from tests.conftest import FIXTURES, fixture_files, relative_name

SUCCESSES = [p for p in fixture_files() if p.parent.name != "errors"]
DECLARATIONS = json.loads((FIXTURES / "functions.json").read_text())
# Functions the lab's service did not hold: declarations written from Moodle's source (see its SOURCE.md).
FROM_SOURCE = json.loads((FIXTURES.parent / "moodle_source" / "functions.json").read_text())
assert not set(FROM_SOURCE) & set(DECLARATIONS)  # a recorded declaration always wins: delete the hand-written one
DECLARATIONS = {**DECLARATIONS, **FROM_SOURCE}


def _recording(path):
    return json.loads(path.read_text())


MODELLED = [p for p in SUCCESSES if _recording(p)["function"] in FUNCTIONS]
UNMODELLED = [p for p in SUCCESSES if _recording(p)["function"] not in FUNCTIONS]


def _model_in(tp: Any) -> Any:
    """Strip Optional/Union-with-None: the one meaningful type inside."""
    if get_origin(tp) in (Union, types.UnionType):
        inner = [a for a in get_args(tp) if a is not type(None)]
        models = [a for a in inner if inspect.isclass(a) and issubclass(a, MoodleModel)]
        return models[0] if models else (inner[0] if len(inner) == 1 else tp)
    return tp


def _walk(tp: Any, data: Any, path: tuple, visit) -> None:
    """Call visit(model, data, path) for every model instance in the data, depth first."""
    tp = _model_in(tp)
    if get_origin(tp) is list and isinstance(data, list):
        (item_type,) = get_args(tp)
        for index, item in enumerate(data):
            _walk(item_type, item, (*path, index), visit)
    elif inspect.isclass(tp) and issubclass(tp, MoodleModel) and isinstance(data, dict):
        visit(tp, data, path)
        for name, field in tp.model_fields.items():
            if name in data:
                _walk(field.annotation, data[name], (*path, name), visit)


# Declared by the lab's Moodle but never called there (no filtered report read was recorded): each
# answers a plain boolean, which the client checks (see test_the_report_filter_functions_answer_a_boolean).
UNRECORDED = {"core_reportbuilder_set_filters", "core_reportbuilder_filters_reset"}


def test_every_function_we_call_has_a_recording():
    """Or, for the few the lab's service did not hold, a declaration read from Moodle's source."""
    recorded = {_recording(p)["function"] for p in MODELLED}
    expected = set(FUNCTIONS) - set(FROM_SOURCE) - UNRECORDED
    assert expected <= recorded, expected - recorded
    assert not set(FROM_SOURCE) & recorded
    assert not UNRECORDED & recorded  # once recorded, hold them to their recordings like the others


def test_the_report_filter_functions_answer_a_boolean():
    """external_value(PARAM_BOOL, 'Success') in reportbuilder/classes/external/filters/set.php and reset.php."""
    for function in UNRECORDED:
        assert parse_response(function, True) is True
        with pytest.raises(Exception):
            parse_response(function, {"reports": []})


@pytest.mark.parametrize("path", MODELLED, ids=relative_name)
def test_recording_parses(path):
    recording = _recording(path)
    parsed = parse_response(recording["function"], recording["response"])
    if FUNCTIONS[recording["function"]].returns is None:
        assert parsed is None and recording["response"] is None
    else:
        assert parsed is not None


@pytest.mark.parametrize("path", MODELLED, ids=relative_name)
def test_every_recorded_key_is_modelled_or_knowingly_ignored(path):
    recording = _recording(path)
    unexplained = []

    def visit(model, data, where):
        for key in data:
            if key not in model.model_fields and key not in model.ignored_keys:
                unexplained.append(f"{model.__name__} at {where}: {key}")

    _walk(FUNCTIONS[recording["function"]].returns, recording["response"], (), visit)
    assert not unexplained


# Moodle declares every key of these answers optional ({} is a valid answer), so must we.
NOTHING_REQUIRED = {"core_user_update_users"}


def _required_paths(function: str, data: Any) -> list[tuple]:
    """Where, in the recording, each required field of each model first appears."""
    found: dict[tuple[str, str], tuple] = {}

    def visit(model, item, where):
        for name, field in model.model_fields.items():
            if field.is_required() and name in item:
                found.setdefault((model.__name__, name), (*where, name))

    _walk(FUNCTIONS[function].returns, data, (), visit)
    return list(found.values())


@pytest.mark.parametrize("path", MODELLED, ids=relative_name)
def test_dropping_a_required_key_fails_the_parse(path):
    recording = _recording(path)
    paths = _required_paths(recording["function"], recording["response"])
    if FUNCTIONS[recording["function"]].returns is not None and recording["function"] not in NOTHING_REQUIRED:
        assert paths, "a model with nothing required cannot catch a changed answer"
    for key_path in paths:
        broken = copy.deepcopy(recording["response"])
        parent = broken
        for step in key_path[:-1]:
            parent = parent[step]
        del parent[key_path[-1]]
        with pytest.raises(UnexpectedResponse):
            parse_response(recording["function"], broken)


def _declared_node(declaration: dict, tp: Any):
    """Yield (model, declared object node) pairs walking the model type and Moodle's declaration."""
    tp = _model_in(tp)
    if get_origin(tp) is list and declaration["kind"] == "list":
        yield from _declared_node(declaration["content"], get_args(tp)[0])
    elif inspect.isclass(tp) and issubclass(tp, MoodleModel) and declaration["kind"] == "object":
        yield tp, declaration
        for name, field in tp.model_fields.items():
            if name in declaration["keys"]:
                yield from _declared_node(declaration["keys"][name], field.annotation)


@pytest.mark.parametrize("function", sorted(f for f in FUNCTIONS if FUNCTIONS[f].returns is not None))
def test_models_require_only_what_moodle_declares_required(function):
    """A field Moodle may leave out must not be required by us, or a real site breaks the sync."""
    problems = []
    for model, node in _declared_node(DECLARATIONS[function]["returns"], FUNCTIONS[function].returns):
        for name, field in model.model_fields.items():
            declared = node["keys"].get(name)
            if declared is None:
                problems.append(f"{model.__name__}.{name} is not in Moodle's declaration")
            elif field.is_required() and declared["required"] != 1:
                problems.append(f"{model.__name__}.{name} is required here but optional in Moodle")
    assert not problems


def test_registered_write_functions_are_declared_writes_by_moodle():
    for name, spec in FUNCTIONS.items():
        assert spec.writes == (DECLARATIONS[name]["type"] == "write"), name


@pytest.mark.parametrize("path", UNMODELLED, ids=relative_name)
def test_answers_of_functions_we_do_not_model_are_not_taken_for_errors(path):
    """E.g. core_grades_update_grades answers 0 and enrol_manual_unenrol_users null on success."""
    recording = _recording(path)
    body = json.dumps(recording["response"]).encode()
    assert interpret(recording["function"], recording["http_status"], {}, body) == recording["response"]


def test_unknown_keys_from_a_newer_moodle_are_ignored():
    recording = json.loads((FIXTURES / "core_course_get_categories.json").read_text())
    newer = copy.deepcopy(recording["response"])
    newer[0]["a_key_from_moodle_6"] = {"nested": [1, 2]}
    assert parse_response("core_course_get_categories", newer)[0].id == newer[0]["id"]


def test_course_completion_time_is_the_latest_criterion_time():
    recording = json.loads((FIXTURES / "core_completion_get_course_completion_status.json").read_text())
    status = parse_response(recording["function"], recording["response"]).completionstatus
    times = [c["timecompleted"] for c in recording["response"]["completionstatus"]["completions"]]
    assert status.completed and status.time_completed == max(times)
    partial = json.loads((FIXTURES / "extra/core_completion_get_course_completion_status__partial.json").read_text())
    assert parse_response(partial["function"], partial["response"]).completionstatus.time_completed is None



def test_numeric_report_cells_are_read_as_text():
    recording = json.loads((FIXTURES / "extra/core_reportbuilder_retrieve_report__lean_page1.json").read_text())
    answer = copy.deepcopy(recording["response"])
    answer["data"]["rows"][0]["columns"][2] = 3
    page = parse_response(recording["function"], answer)
    assert page.data.rows[0].columns[2] == "3"

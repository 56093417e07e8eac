"""The encoder reproduces, byte for byte, the form fields of every real recorded call."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moodle_bridge.moodle._encoding import encode_arguments, encode_batch_arguments, encode_call
from moodle_bridge.simulator.php_form import as_lists, decode_form
from tests.conftest import fixture_files, relative_name

ENVELOPE = ("wstoken", "wsfunction", "moodlewsrestformat")


def _to_python(value):
    """What a caller passes: numbers as numbers (so the encoder's str() is exercised)."""
    if isinstance(value, dict):
        return {k: _to_python(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_python(v) for v in value]
    if value.lstrip("-").isdigit() and str(int(value)) == value:
        return int(value)
    return value


@pytest.mark.parametrize("path", fixture_files(), ids=relative_name)
def test_encoder_reproduces_recorded_form_fields(path):
    recorded = json.loads(path.read_text())["params"]
    arguments = _to_python(as_lists(decode_form((k, v) for k, v in recorded.items() if k not in ENVELOPE)))
    fields = encode_call(recorded["wsfunction"], arguments, recorded["wstoken"])
    if recorded["moodlewsrestformat"] != "json":  # the XML recordings: we always ask for JSON
        fields[2] = ("moodlewsrestformat", recorded["moodlewsrestformat"])
    assert fields == list(recorded.items())
    assert urlencode(fields) == urlencode(list(recorded.items()))


def test_nested_lists_and_dicts_are_php_style():
    fields = encode_arguments({
        "courseids": [1, 2],
        "users": [{"id": 5, "customfields": [{"type": "unit", "value": "Finance"}]}],
        "options": [{"name": "limitfrom", "value": 0}],
        "flag": True, "other": False, "skipped": None,
    })
    assert fields == [
        ("courseids[0]", "1"), ("courseids[1]", "2"),
        ("users[0][id]", "5"), ("users[0][customfields][0][type]", "unit"),
        ("users[0][customfields][0][value]", "Finance"),
        ("options[0][name]", "limitfrom"), ("options[0][value]", "0"),
        ("flag", "1"), ("other", "0"),
    ]


def test_unsendable_value_is_refused():
    with pytest.raises(TypeError, match="cannot send a object"):
        encode_arguments({"x": object()})


def test_batch_arguments_match_the_recorded_batch():
    recorded = json.loads((fixture_files()[0].parent / "tool_mobile_call_external_functions.json").read_text())
    params = recorded["params"]
    assert encode_batch_arguments({"courseid": 8, "userid": 6}) == params["requests[0][arguments]"]
    assert encode_batch_arguments({
        "courseid": 8,
        "options": [{"name": "userfields", "value": "id,idnumber"}, {"name": "limitnumber", "value": 3}],
    }) == params["requests[2][arguments]"]


# --- property: anything we encode, PHP decodes back to the same structure ---------------------

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=8).filter(
    lambda s: not s.isdigit()
)
scalars = st.one_of(st.integers(-10**12, 10**12), st.booleans(), st.text(max_size=20))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=4),
        st.dictionaries(names, inner, min_size=1, max_size=4),
    ),
    max_leaves=25,
)


def _as_php_sees_it(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, list):
        return [_as_php_sees_it(v) for v in value]
    return {k: _as_php_sees_it(v) for k, v in value.items()}


@given(st.dictionaries(names, values, min_size=1, max_size=5))
def test_round_trip_through_a_php_style_decoder(arguments):
    body = urlencode(encode_arguments(arguments))
    decoded = as_lists(decode_form(parse_qsl(body, keep_blank_values=True)))
    assert decoded == _as_php_sees_it(arguments)

"""Encode call arguments the way PHP reads form fields.

Moodle's REST server reads ``$_POST``, which PHP builds from ``a[0][b]=x`` style names. Nested
lists become ``name[index]``, nested mappings ``name[key]``; booleans are sent as ``1``/``0``
(PHP has no boolean form value) and ``None`` means "not sent", so optional arguments can be
passed as ``None``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

FormFields = list[tuple[str, str]]


def encode_scalar(value: Any) -> str:
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "1" if value else "0"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise TypeError(f"cannot send a {type(value).__name__} to Moodle: {value!r}")


def _flatten(prefix: str, value: Any) -> Iterator[tuple[str, str]]:
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _flatten(f"{prefix}[{key}]", item)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _flatten(f"{prefix}[{index}]", item)
    else:
        yield prefix, encode_scalar(value)


def encode_arguments(arguments: Mapping[str, Any]) -> FormFields:
    """Flatten a function's arguments into ordered form fields."""
    fields: FormFields = []
    for name, value in arguments.items():
        fields.extend(_flatten(name, value))
    return fields


def encode_call(function: str, arguments: Mapping[str, Any], token: str) -> FormFields:
    """The complete form of one REST call: envelope first, as Moodle's own clients send it."""
    envelope = [("wstoken", token), ("wsfunction", function), ("moodlewsrestformat", "json")]
    return envelope + encode_arguments(arguments)


def encode_batch_arguments(arguments: Mapping[str, Any]) -> str:
    """Arguments of one call inside ``tool_mobile_call_external_functions``: a JSON object.

    ``None`` values are dropped, as in the form encoding, so both roads send the same call.
    """
    return json.dumps(_drop_none(arguments))


def _drop_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_none(v) for v in value if v is not None]
    return value

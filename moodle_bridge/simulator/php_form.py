"""Decode form fields the way PHP builds ``$_POST`` from ``a[0][b]=x`` names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_NAME = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


def decode_form(fields: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nested dicts keyed by string, as PHP does; lists come out as ``{"0": ..., "1": ...}``.

    Use :func:`as_lists` to turn the ``0..n-1`` keyed dicts into lists.
    """
    root: dict[str, Any] = {}
    for name, value in fields:
        match = _NAME.match(name)
        if match is None:
            raise ValueError(f"malformed form field name: {name!r}")
        keys = [match.group(1), *_PART.findall(match.group(2))]
        node = root
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[keys[-1]] = value
    return root


def as_lists(value: Any) -> Any:
    """Turn dicts whose keys are exactly ``"0".."n-1"`` into lists, recursively."""
    if isinstance(value, dict):
        converted = {k: as_lists(v) for k, v in value.items()}
        if converted and list(converted) == [str(i) for i in range(len(converted))]:
            return list(converted.values())
        return converted
    return value

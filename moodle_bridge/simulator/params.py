"""Validate call arguments against Moodle's own declarations, as external_api does."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from .protocol import SimError

DECLARATIONS = Path(__file__).parent / "declarations.json"
_INT = re.compile(r"^-?\d+$")


@cache
def declarations() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DECLARATIONS.read_text(encoding="utf-8"))
    return loaded


def invalid(debuginfo: str) -> SimError:
    return SimError("invalidparameter", "Invalid parameter value detected",
                    "core\\exception\\invalid_parameter_exception", debuginfo)


def _wrong_type(where: str, value: object, expected: object) -> SimError:
    return invalid(f"{where}Invalid external api parameter: the value is \"{value}\", "
                   f"the server was expecting \"{expected}\" type")


def validate(declaration: dict[str, Any], value: Any, where: str = "") -> Any:
    """The typed arguments, defaults filled in; ``invalidparameter`` as Moodle words it."""
    kind = declaration["kind"]
    if kind == "object":
        if not isinstance(value, dict):
            raise invalid(f"Only arrays accepted. The bad value is: '{value}'")
        unknown = sorted(set(value) - set(declaration["keys"]))
        if unknown:
            raise invalid(f"Unexpected keys ({', '.join(unknown)}) detected in parameter array.")
        result = {}
        for key, sub in declaration["keys"].items():
            if key in value:
                result[key] = validate(sub, value[key], f"{where}{key} => ")
            elif sub.get("required") == 1:
                raise invalid(f"Missing required key in single structure: {key}")
            elif sub.get("required") == 0 and "default" in sub:
                result[key] = sub["default"]
        return result
    if kind == "list":
        if isinstance(value, dict):  # PHP arrays with non-sequential keys
            value = list(value.values())
        if not isinstance(value, list):
            raise invalid(f"Only arrays accepted. The bad value is: '{value}'")
        return [validate(declaration["content"], item, where) for item in value]
    return _scalar(declaration, value, where)


def _scalar(declaration: dict[str, Any], value: Any, where: str) -> Any:
    if value is None:
        if declaration.get("allownull", True):
            return None
        raise invalid(f"{where}Null is not allowed")
    if isinstance(value, (dict, list)):
        raise _wrong_type(where, "array", declaration.get("type"))
    kind = declaration.get("type")
    if kind == "int":
        if isinstance(value, bool) or not (isinstance(value, int) or _INT.match(str(value))):
            raise _wrong_type(where, value, "int")
        return int(value)
    if kind == "bool":
        if str(value).lower() in ("1", "true"):
            return True
        if str(value).lower() in ("0", "false", ""):
            return False
        raise _wrong_type(where, value, "bool")
    if kind == "float":
        try:
            return float(value)
        except ValueError:
            raise _wrong_type(where, value, "float") from None
    return value if isinstance(value, str) else json.dumps(value) if not isinstance(value, (int, float)) else str(value)

"""The registry of requirement kinds: every module here declares ``UNIT`` (a :class:`~.base.Kind`).

Adding a kind is adding a module (and its tests); nothing else lists the kinds. The rules model
builds its union of requirement models from here, the evaluation and ``rules check`` dispatch
through it, and a kind without a unit is an error, never a silent skip.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any, get_args

from .base import Kind, RequirementModel

AnyKind = Kind[Any, Any]


def _discover() -> tuple[AnyKind, ...]:
    units: list[AnyKind] = []
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        unit = getattr(module, "UNIT", None)
        if not isinstance(unit, Kind):
            raise TypeError(f"rules/kinds/{module_info.name}.py must declare UNIT, a requirement Kind")
        if get_args(unit.model.model_fields["kind"].annotation) != (unit.name,):
            raise TypeError(f"rules/kinds/{module_info.name}.py: the model's kind must be Literal[{unit.name!r}]")
        if not unit.enrolling_flags <= set(unit.flags):
            raise TypeError(f"rules/kinds/{module_info.name}.py: enrolling_flags must be some of its flags")
        units.append(unit)
    return tuple(sorted(units, key=lambda u: (u.order, u.name)))


def index_flags(units: tuple[AnyKind, ...]) -> dict[str, AnyKind]:
    """Each flag kind's unit: the first in order that raises it. Two kinds may raise one flag kind (required
    courses and required reading both say ``completed_late``) only with one label and one evidence type, so
    either explains it alike."""
    found: dict[str, AnyKind] = {}
    for unit in units:
        for flag, label in unit.flags.items():
            first = found.setdefault(flag, unit)
            if first is not unit and (first.flags[flag] != label or first.evidence is not unit.evidence):
                raise TypeError(f"{first.name} and {unit.name} both raise {flag!r}: they must give it one label "
                                "and one evidence type")
    return found


UNITS: tuple[AnyKind, ...] = _discover()
BY_NAME: Mapping[str, AnyKind] = {u.name: u for u in UNITS}
BY_FLAG: Mapping[str, AnyKind] = index_flags(UNITS)
if len(BY_NAME) != len(UNITS):
    raise TypeError("two requirement kinds share a name")


def unit_for(kind: str) -> AnyKind:
    """The unit of a requirement kind; a kind nobody registered is an error."""
    try:
        return BY_NAME[kind]
    except KeyError:
        raise LookupError(f"no registered unit for the requirement kind {kind!r} (rules/kinds/)") from None


def unit_for_flag(flag: str) -> AnyKind | None:
    """The unit that raises a flag kind, the first if several do (None: a kind no unit raises, e.g. from an
    older version)."""
    return BY_FLAG.get(flag)


def requirement_models() -> tuple[type[RequirementModel], ...]:
    return tuple(u.model for u in UNITS)


__all__ = ["BY_FLAG", "BY_NAME", "UNITS", "AnyKind", "Kind", "RequirementModel", "index_flags", "requirement_models",
           "unit_for", "unit_for_flag"]

"""Load a rules file: YAML, then the models; every error says file, line, key path and why."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .model import Rules


class _TextDates(yaml.SafeLoader):
    """Dates stay text: pydantic checks them and says which one is wrong and where."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class RulesError(Exception):
    """Everything wrong with a rules file, one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class LoadedRules:
    rules: Rules
    path: Path
    digest: str  # sha256 of the file's bytes: recorded with every evaluation


def _lines(node: yaml.Node, path: tuple = ()) -> dict[tuple, int]:
    """Where each key path starts in the file (1-based lines)."""
    found = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found.update(_lines(value, (*path, key.value)))
            found[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found.update(_lines(item, (*path, index)))
    return found


def _dotted(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _meaningful_loc(loc: tuple) -> tuple:
    """Pydantic puts the union member's tag (e.g. 'min_hours') in the path; drop it."""
    return tuple(p for p in loc if not (isinstance(p, str) and p in {
        "min_hours", "min_online_hours", "required_courses", "required_reading", "window", "makeup"}))


def _explain(error: dict[str, Any]) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return "unknown key (a typo?)"
    if kind == "missing":
        return "required, missing"
    if kind.startswith("date"):
        return f"{value!r} is not a date (YYYY-MM-DD)"
    if kind == "union_tag_invalid":
        return (f"{error.get('ctx', {}).get('tag')!r} is not a requirement kind (min_hours, min_online_hours, "
                "required_courses, required_reading, window, makeup)")
    message = error["msg"].removeprefix("Value error, ")
    return f"{message} (got {value!r})" if not isinstance(value, (dict, list)) else message


def load_rules(path: Path | str) -> LoadedRules:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RulesError([f"{path}: cannot read ({exc.strerror})"]) from None
    try:
        node = yaml.compose(raw.decode("utf-8"), Loader=_TextDates)
        data = yaml.load(raw.decode("utf-8"), Loader=_TextDates)
    except UnicodeDecodeError:
        raise RulesError([f"{path}: not UTF-8 text"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise RulesError([f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(data, dict):
        raise RulesError([f"{path}: expected a mapping of sections (organisation, groups, ...)"])
    lines = _lines(node) if node is not None else {}
    try:
        rules = Rules.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = _meaningful_loc(tuple(error["loc"]))
            line = next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), None)
            problems.append(f"{path}:{line} {_dotted(loc)}: {_explain(error)}")
        raise RulesError(problems) from None
    return LoadedRules(rules, path, hashlib.sha256(raw).hexdigest())

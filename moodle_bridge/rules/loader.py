"""Parse a rules file's text: YAML, then the models; every error says where (source and line), the key
path and why. Reading the file is the caller's (``services/rules_file.py``): this module does no I/O."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from .kinds import BY_NAME
from .model import Rules

Location = tuple[str | int, ...]


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
    source: str  # where the text came from (a file's path), as problems name it
    digest: str  # sha256 of the file's bytes: recorded with every evaluation


def _lines(node: yaml.Node, path: Location = ()) -> dict[Location, int]:
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


def _dotted(path: Location) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _meaningful_loc(loc: Location) -> Location:
    """Pydantic puts the union member's tag (e.g. 'min_hours') in the path; drop it."""
    return tuple(p for p in loc if not (isinstance(p, str) and p in BY_NAME))


def _explain(error: Mapping[str, Any]) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return "unknown key (a typo?)"
    if kind == "missing":
        return "required, missing"
    if kind.startswith("date"):
        return f"{value!r} is not a date (YYYY-MM-DD)"
    if kind == "union_tag_invalid":
        return f"{error.get('ctx', {}).get('tag')!r} is not a requirement kind ({', '.join(BY_NAME)})"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{message} (got {value!r})" if not isinstance(value, (dict, list)) else message


def parse_rules(raw: bytes | str, source: str = "<rules>") -> LoadedRules:
    """The rules in ``raw`` (a rules file's bytes, or its text); ``source`` names it in problems."""
    data_bytes = raw.encode("utf-8") if isinstance(raw, str) else raw
    try:
        text = data_bytes.decode("utf-8")
        node = yaml.compose(text, Loader=_TextDates)
        data = yaml.load(text, Loader=_TextDates)
    except UnicodeDecodeError:
        raise RulesError([f"{source}: not UTF-8 text"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise RulesError([f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(data, dict):
        raise RulesError([f"{source}: expected a mapping of sections (organisation, groups, ...)"])
    lines = _lines(node) if node is not None else {}
    try:
        rules = Rules.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = _meaningful_loc(tuple(error["loc"]))
            line = next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), None)
            problems.append(f"{source}:{line} {_dotted(loc)}: {_explain(error)}")
        raise RulesError(problems) from None
    return LoadedRules(rules, source, hashlib.sha256(data_bytes).hexdigest())

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

MAX_ALIASES = 100  # aliases (*name) in one file: enough to share a few blocks, too few for an alias bomb
MAX_NODES = 100_000  # values in the file once every alias is expanded (a large real file has a few thousand)
_MERGE = "tag:yaml.org,2002:merge"


class _Refused(yaml.MarkedYAMLError):
    """The text is YAML, but not a rules file we read: a key given twice, too many aliases, nesting too deep."""


class _Strict(yaml.SafeLoader):
    """Safe YAML, stricter: a key given twice in one mapping is an error (the second would silently replace
    the first), aliases are counted, and dates stay text (pydantic checks them and says which is wrong and where)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                event = self.peek_event()  # type: ignore[no-untyped-call]  # the stubs leave it untyped
                raise _Refused(problem=f"more than {MAX_ALIASES} aliases (*name): write the values out",
                               problem_mark=event.start_mark)
        return super().compose_node(parent, index)

    def compose_mapping_node(self, anchor: dict[Any, yaml.Node]) -> yaml.MappingNode:  # (the stubs' type)
        node: yaml.MappingNode = super().compose_mapping_node(anchor)
        first: dict[object, int] = {}
        for key, _value in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE:
                continue
            if key.value in first:
                raise _Refused(problem=f"{key.value!r} is given twice in this mapping (first on line "
                                       f"{first[key.value]}); the second would replace the first",
                               problem_mark=key.start_mark)
            first[key.value] = key.start_mark.line + 1
        return node


_Strict.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _expanded_size(root: yaml.Node) -> int:
    """How many values the document holds once every alias is expanded (each node's size counted once: linear
    in the file, however much the aliases multiply); _Refused when above MAX_NODES or when an alias holds itself."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in open_nodes:
            raise _Refused(problem="an alias refers to a value that contains it", problem_mark=node.start_mark)
        open_nodes.add(id(node))
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_NODES:
                raise _Refused(problem=f"more than {MAX_NODES:,} values once its aliases are expanded",
                               problem_mark=node.start_mark)
        open_nodes.discard(id(node))
        sizes[id(node)] = total
        return total

    return size(root)


def _load(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for lines) and its data, read once, strictly."""
    loader = _Strict(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _expanded_size(node)
        return node, loader.construct_document(node)
    finally:
        loader.dispose()


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
    text: str = ""  # the file's text: kept with the evaluations it judged, by its digest


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
    if kind == "too_short":
        return "empty: name at least one"
    if kind == "string_too_short":
        return "empty: write a value"
    if kind == "finite_number":
        return f"{value!r} is not a finite number"
    if kind == "union_tag_invalid":
        return f"{error.get('ctx', {}).get('tag')!r} is not a requirement kind ({', '.join(BY_NAME)})"
    message = str(error["msg"]).removeprefix("Value error, ")
    shown = not isinstance(value, (dict, list)) and str(value) not in message
    return f"{message} (got {value!r})" if shown else message


def parse_rules(raw: bytes | str, source: str = "<rules>") -> LoadedRules:
    """The rules in ``raw`` (a rules file's bytes, or its text); ``source`` names it in problems."""
    data_bytes = raw.encode("utf-8") if isinstance(raw, str) else raw
    try:
        text = data_bytes.decode("utf-8")
        node, data = _load(text)
    except UnicodeDecodeError:
        raise RulesError([f"{source}: not UTF-8 text"]) from None
    except RecursionError:
        raise RulesError([f"{source}: nested too deeply to be a rules file"]) from None
    except _Refused as exc:
        mark = exc.problem_mark
        raise RulesError([f"{source}:{mark.line + 1 if mark else '?'}: {exc.problem}"]) from None
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
    return LoadedRules(rules, source, hashlib.sha256(data_bytes).hexdigest(), text)

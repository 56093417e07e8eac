"""Fuzz the rules file (rules/loader.py ``parse_rules``, services/rules_file.py ``load_rules``): random text and
bytes, the example file with its values, keys and types mutated, duplicated keys, anchors and aliases, deep nesting.

A rules file is refused with a ``RulesError`` (every problem with its line) or gives rules whose every number is
finite, every date within the sane window, and whose time zone and period start exist."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from hypothesis import given
from hypothesis import strategies as st

from moodle_bridge.rules.loader import LoadedRules, RulesError, parse_rules
from moodle_bridge.services.rules_file import load_rules

from .common import HUGE_NUMBERS, ODD_DATES, ODD_TEXT, fuzz, in_window, refused_or

EXAMPLE_TEXT = (Path(__file__).parents[2] / "config" / "rules.example.yaml").read_text(encoding="utf-8")
EXAMPLE: dict[str, Any] = yaml.safe_load(EXAMPLE_TEXT)
EXAMPLE["exemptions"] = [{"cadre_id": "CD260005", "reason": "illness", "from": "2026-03-01", "to": "2026-08-31",
                          "effect": "prorate"}]
KEYS = sorted({"organisation", "timezone", "period_start", "cadres", "cadre_id_field", "unit", "source", "field",
               "rank_field", "category_field", "joined_field", "promoted_field", "courses", "default_hours", "hours",
               "match", "idnumber", "shortname", "category", "credits", "pass_grade", "excellent", "min_grade",
               "factor", "offline_hours_per_day", "leave_limit", "cap_per_item", "cap_online_per_period",
               "carry_over", "enabled", "max_hours", "status", "at_risk_margin", "due_soon_days", "groups", "label",
               "select", "rank", "cohort", "all", "any", "requirements", "kind", "due", "need", "after",
               "within_months", "start_year", "years", "exemptions", "cadre_id", "reason", "from", "to", "effect",
               "min_hours", "makeup", "window", "required_courses", "required_reading", "min_online_hours"})

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.dates(), ODD_DATES, HUGE_NUMBERS, ODD_TEXT,
    st.sampled_from(KEYS),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)


@st.composite
def mutated(draw: st.DrawFn, value: Any, depth: int = 0) -> Any:
    """``value`` with one change somewhere inside: a value replaced, a key dropped, added or renamed."""
    containers = isinstance(value, (dict, list)) and value
    how = draw(st.sampled_from(["replace", "descend", "descend", "descend", "drop", "add", "rename"]
                               if containers else ["replace"]))
    if how == "replace" or depth > 12:
        return draw(VALUES)
    if isinstance(value, dict):
        value = dict(value)
        key = draw(st.sampled_from(sorted(value, key=str)))
        if how == "descend":
            value[key] = draw(mutated(value[key], depth + 1))
        elif how == "drop":
            del value[key]
        elif how == "add":
            value[draw(st.sampled_from(KEYS) | st.text(max_size=8))] = draw(VALUES)
        else:
            value[draw(st.sampled_from(KEYS))] = value.pop(key)
        return value
    value = list(value)
    index = draw(st.integers(0, len(value) - 1))
    if how in ("descend", "rename"):
        value[index] = draw(mutated(value[index], depth + 1))
    elif how == "drop":
        del value[index]
    else:
        value.insert(index, draw(VALUES))
    return value


@st.composite
def mutated_documents(draw: st.DrawFn) -> str:
    """The example, one to five changes deep, dumped back to YAML."""
    document: Any = EXAMPLE
    for _ in range(draw(st.integers(1, 5))):
        document = draw(mutated(document))
    return yaml.safe_dump(document, allow_unicode=draw(st.booleans()), sort_keys=False)


@st.composite
def edited_text(draw: st.DrawFn) -> str:
    """The example's text with lines duplicated (duplicate keys), anchors and aliases, tabs, cuts and junk."""
    lines = EXAMPLE_TEXT.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        edit = draw(st.sampled_from(["duplicate", "duplicate_section", "anchor", "alias", "tab", "cut", "junk",
                                     "value"]))
        if edit == "duplicate":
            lines.insert(index, line)
        elif edit == "duplicate_section":
            end = next((i for i in range(index + 1, len(lines)) if lines[i] and not lines[i][0].isspace()),
                       len(lines))
            lines[end:end] = lines[index:end]
        elif edit == "anchor" and ":" in line:
            lines[index] = line.replace(":", ": &a", 1) if not line.rstrip().endswith(":") else line + " &a"
        elif edit == "alias" and ":" in line:
            key = line.split(":", 1)[0]
            lines[index] = f"{key}: *{draw(st.sampled_from(['a', 'undefined']))}"
        elif edit == "tab":
            lines[index] = "\t" + line
        elif edit == "cut":
            lines[index] = line[: draw(st.integers(0, len(line)))]
        elif edit == "junk":
            lines[index] = line + draw(st.text(max_size=10))
        elif ":" in line:
            key = line.split(":", 1)[0]
            lines[index] = f"{key}: {draw(HUGE_NUMBERS | ODD_DATES)}"
    return "\n".join(lines)


def check(loaded: LoadedRules | None) -> None:
    """A correct result: nothing the evaluation would choke on later (issue 11: bounded values everywhere)."""
    if loaded is None:
        return
    rules = loaded.rules
    ZoneInfo(rules.organisation.timezone)
    month, day = (int(part) for part in rules.organisation.period_start.split("-"))
    date(2001, month, day)

    def walk(value: Any, where: str) -> None:
        if isinstance(value, float):
            assert math.isfinite(value), f"{where}: {value} is not finite"
        elif isinstance(value, date):
            assert in_window(value), f"{where}: {value} is outside the sane window"
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")

    walk(rules.model_dump(), "rules")


def parse(text: str | bytes) -> LoadedRules | None:
    loaded, _ = refused_or(lambda: parse_rules(text, "rules.yaml"), RulesError)
    check(loaded)
    return loaded


def test_the_example_itself_parses():
    assert parse(EXAMPLE_TEXT) is not None
    assert parse(yaml.safe_dump(EXAMPLE)) is not None


@fuzz(200)
@given(mutated_documents())
def test_mutated_documents(text):
    parse(text)


@fuzz(200)
@given(edited_text())
def test_edited_example_text(text):
    parse(text)


@fuzz(100)
@given(st.text() | st.binary())
def test_random_text_and_bytes(raw):
    parse(raw)


@fuzz(100)
@given(st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=6), inner, max_size=3), max_leaves=20))
def test_random_yaml_documents(document):
    parse(yaml.safe_dump(document))


@fuzz(50)
@given(st.integers(2, 5), st.integers(2, 6))
def test_alias_chains(levels, width):
    """A small 'billion laughs': each level a list of ``width`` aliases of the one before."""
    lines = ["a0: &a0 [x]"]
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * width)}]")
    lines.append(f"groups: {{g: {{label: G, select: {{rank: *a{levels}}}, requirements: [{{kind: min_hours, "
                 f"hours: 1}}]}}}}")
    parse("\n".join(lines))


@fuzz(50)
@given(st.integers(1, 3000), st.sampled_from(["[", "{a: ", "- "]))
def test_deep_nesting(depth, opener):
    if opener == "[":
        text = "groups: " + "[" * depth + "]" * depth
    elif opener == "{a: ":
        text = "groups: " + "{a: " * depth + "1" + "}" * depth
    else:
        text = "groups:\n" + "\n".join("  " * i + "- " for i in range(depth)) + "1"
    parse(text)


@fuzz(50)
@given(st.binary(max_size=200))
def test_files_of_any_bytes(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("rules") / "rules.yaml"
    path.write_bytes(EXAMPLE_TEXT.encode("utf-8")[: len(raw)] + raw)
    loaded, _ = refused_or(lambda: load_rules(path), RulesError)
    check(loaded)

"""Strict YAML for the rules: a key given twice, aliases, nesting and empty selectors are errors with their line."""

from __future__ import annotations

import time

import pytest

from moodle_bridge.rules.loader import MAX_ALIASES, RulesError, parse_rules

GROUP = "groups:\n  g:\n    label: G\n    select: {select}\n    requirements:\n      - {{kind: min_hours, hours: 5}}\n"


def problems(text: str) -> list[str]:
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "r.yaml")
    return caught.value.problems


def test_a_key_given_twice_is_an_error_naming_both_lines():
    second = GROUP.format(select="{rank: b}").replace("  g:", "  h:")
    assert problems(GROUP.format(select="{rank: a}") + second) == [
        "r.yaml:7: 'groups' is given twice in this mapping (first on line 1); the second would replace the first"]
    assert "'label' is given twice" in problems(GROUP.format(select="{rank: a}").replace(
        "label: G\n", "label: G\n    label: H\n"))[0]


def test_a_merge_key_may_override_what_it_merges():
    text = ("shared: &g {label: G, select: {rank: a}, requirements: [{kind: min_hours, hours: 5}]}\n"
            "groups:\n  g:\n    <<: *g\n    label: H\n")
    assert problems(text) == ["r.yaml:1 shared: unknown key (a typo?)"]  # not "given twice"


def test_an_alias_bomb_is_refused_quickly():
    levels = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    levels += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 9)]  # 9^9 values expanded
    started = time.process_time()
    (problem,) = problems("\n".join(levels) + "\n" + GROUP.format(select="{rank: a}"))
    assert "values once its aliases are expanded" in problem and problem.startswith("r.yaml:")
    assert time.process_time() - started < 2


def test_too_many_aliases_and_an_alias_inside_itself_are_refused():
    many = "x: &x a\ny: [" + ", ".join(["*x"] * (MAX_ALIASES + 1)) + "]\n"
    assert f"more than {MAX_ALIASES} aliases" in problems(many + GROUP.format(select="{rank: a}"))[0]
    assert problems("a: &a [*a]\n") == ["r.yaml:1: an alias refers to a value that contains it"]


def test_nesting_too_deep_is_an_error_not_a_crash():
    assert problems("[" * 50_000) == ["r.yaml: nested too deeply to be a rules file"]


@pytest.mark.parametrize("select", ["{rank: []}", "{category: []}", "{unit: []}", "{cohort: []}", "{all: []}",
                                    "{any: []}", "{any: [{rank: []}]}", "{rank: ['']}"])
def test_an_empty_selector_is_an_error_not_everyone_or_no_one(select):
    (problem,) = problems(GROUP.format(select=select))
    assert problem.startswith("r.yaml:4 groups.g.select.") and "empty" in problem


def test_selectors_with_values_still_load():
    loaded = parse_rules(GROUP.format(select="{any: [{rank: a}, {all: [{unit: [u1]}, {cohort: c}]}]}"))
    assert loaded.rules.groups["g"].select.any is not None

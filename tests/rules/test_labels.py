"""The rules file's display names: a group's label (one name, or one per language) and the `labels:` section."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodle_bridge.i18n import set_language
from moodle_bridge.rules.describe import describe
from moodle_bridge.rules.loader import RulesError, parse_rules
from moodle_bridge.rules.model import label_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [ROOT / "config" / "rules.example.yaml", ROOT / "moodle_bridge" / "templates" / "rules.example.yaml"]
GROUP = "groups: {{g: {{label: {label}, select: {{rank: [a]}}, requirements: [{{kind: min_hours, hours: 1}}]}}}}\n"


def test_a_group_label_is_one_name_or_a_name_per_language():
    plain = parse_rules(GROUP.format(label="Township")).rules.groups["g"].label
    assert (label_text(plain, "en"), label_text(plain, "zh_CN")) == ("Township", "Township")
    both = parse_rules(GROUP.format(label="{en: Township, zh_CN: 乡镇}")).rules.groups["g"].label
    assert (label_text(both, "en"), label_text(both, "zh_CN")) == ("Township", "乡镇")
    chinese = parse_rules(GROUP.format(label="{zh_CN: 乡镇}")).rules.groups["g"].label
    assert label_text(chinese, "en") == "乡镇"  # a language not given: the other


@pytest.mark.parametrize(("label", "problem"), [
    ("{fr: Canton}", "g.label.fr: unknown key"), ("{}", "at least one language"), ("''", "empty"),
    ("12", "a name, or a name per language")])
def test_a_wrong_label_says_where_and_why(label, problem):
    with pytest.raises(RulesError) as refused:
        parse_rules(GROUP.format(label=label))
    assert problem in str(refused.value) and ":1 groups." in str(refused.value)


def test_the_labels_section_names_rank_and_category_values():
    rules = parse_rules(GROUP.format(label="G") + "labels: {rank: {section_chief: {en: Section chief, zh_CN: 正科级}}, "
                                                  "category: {civil_servant: 公务员}}\n").rules
    assert rules.labels.value("rank", "section_chief", "zh_CN") == "正科级"
    assert rules.labels.value("rank", "section_chief", "en") == "Section chief"
    assert rules.labels.value("category", "civil_servant", "en") == "公务员"  # one name for every language
    assert rules.labels.value("rank", "staff", "en") is None  # not named: the caller shows the value
    with pytest.raises(RulesError, match=r"labels\.grade: unknown key"):
        parse_rules(GROUP.format(label="G") + "labels: {grade: {a: b}}\n")


@pytest.mark.parametrize("path", EXAMPLES, ids=["config", "packaged"])
def test_the_examples_name_groups_and_values_in_chinese(path):
    rules = parse_rules(path.read_bytes(), str(path)).rules
    assert {label_text(g.label, "zh_CN") for g in rules.groups.values()} == {"乡科级及以下干部", "县处级领导干部"}
    ranks = {value: rules.labels.value("rank", value, "zh_CN") for value in
             ("section_chief", "deputy_section_chief", "staff", "village_cadre")}
    assert ranks == {"section_chief": "正科级", "deputy_section_chief": "副科级", "staff": "一般干部",
                     "village_cadre": "村干部"}
    assert rules.labels.value("category", "civil_servant", "zh_CN") == "公务员"
    set_language("zh_CN")
    try:
        assert any("乡科级及以下干部" in line for line in describe(rules))  # `rules check` names the group so
        # and the values it selects on, with the code the file matches (the person writing the file needs both)
        assert any("职级 为 正科级 (section_chief)" in line for line in describe(rules))
    finally:
        set_language("en")


def test_the_two_examples_are_the_same_file():
    assert EXAMPLES[0].read_text(encoding="utf-8") == EXAMPLES[1].read_text(encoding="utf-8")

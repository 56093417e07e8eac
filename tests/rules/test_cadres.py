"""A cadre's name as staff read it: Moodle keeps first and last name apart; the rules file says the order."""

from __future__ import annotations

import pytest

from moodle_bridge.rules.cadres import full_name
from moodle_bridge.rules.loader import parse_rules


@pytest.mark.parametrize(("given", "family", "order", "shown"), [
    ("Tao", "Ma", "given_first", "Tao Ma"),
    ("Tao", "Ma", "family_first", "Ma Tao"),
    ("涛", "马", "family_first", "马涛"),  # a Chinese name: family name first, no space
    ("涛", "马", "given_first", "涛 马"),  # what a site that does not say gets: why the setting exists
    ("涛", "Ma", "family_first", "Ma 涛"),  # mixed scripts keep the space
    (" 海涛 ", "欧阳", "family_first", "欧阳海涛"),
    (None, "马", "family_first", "马"),
    ("", "", "family_first", ""),
])
def test_full_name(given, family, order, shown):
    assert full_name(given, family, order) == shown


def test_the_rules_file_chooses_the_order_and_refuses_another_word():
    base = "groups: {g: {label: G, select: {rank: [a]}, requirements: [{kind: min_hours, hours: 1}]}}\n"
    assert parse_rules(base).rules.cadres.name_order == "given_first"
    assert parse_rules("cadres: {name_order: family_first}\n" + base).rules.cadres.name_order == "family_first"
    with pytest.raises(Exception, match="name_order"):
        parse_rules("cadres: {name_order: surname}\n" + base)

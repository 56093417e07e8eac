"""The profiles report's cells as mirror rows (pure)."""

from __future__ import annotations

import pytest

from moodle_bridge.sync.profiles import layout, parse_row
from moodle_bridge.sync.report import ReportLayoutError

HEADERS = ["Full name with link", "Username", "ID number", "First name", "Last name", "Email address", "Department",
           "Suspended", "cadre_id", "unit"]


def row(**cells: str) -> list[str | None]:
    values = {"link": '<a href="https://m.example/user/profile.php?id=42">Ma Tao</a>', "username": "cd260042",
              "idnumber": "CD260042", "first": "Tao", "last": "O&#039;Ma &amp; Co", "email": "t@example.invalid",
              "department": "", "suspended": "No", "cadre_id": "CD260042", "unit": ""}
    values.update(cells)
    return list(values.values())


def test_a_row_reads_as_the_mirror_row_a_user_lookup_gives():
    where = layout(HEADERS, "cadre_id")
    assert parse_row(row(), where, "cadre_id") == {
        "id": 42, "username": "cd260042", "idnumber": "CD260042", "firstname": "Tao", "lastname": "O'Ma & Co",
        "email": "t@example.invalid", "department": None, "suspended": False, "cadre_id": "CD260042",
        "profile": {"cadre_id": "CD260042"}}  # an empty profile field is left out, as Moodle's API does


@pytest.mark.parametrize("cells, message", [
    ({"link": "Ma Tao"}, "no link"),
    ({"suspended": "Oui"}, "expected Yes or No"),
])
def test_a_row_that_cannot_be_read_says_why(cells, message):
    with pytest.raises(ValueError, match=message):
        parse_row(row(**cells), layout(HEADERS, "cadre_id"), "cadre_id")


def test_a_missing_column_or_a_profile_field_headed_by_its_name_is_a_layout_error():
    with pytest.raises(ReportLayoutError, match="'Suspended'"):
        layout([h for h in HEADERS if h != "Suspended"], "cadre_id")
    with pytest.raises(ReportLayoutError, match="head each profile field column"):
        layout([*HEADERS, "Work unit"], "cadre_id")
    with pytest.raises(ReportLayoutError, match="no column headed 'cadre_no'"):
        layout(HEADERS, "cadre_no")


@pytest.mark.parametrize("cell, code", [
    ("English \u200e(en)\u200e", "en"),  # Moodle shows the pack's name, the code between left-to-right marks
    ("简体中文 \u200e(zh_cn)\u200e", "zh_cn"),
    ("zh_cn", "zh_cn"),  # a pack no longer installed: the code itself
    ("Chinese for the county", None),  # an alias the site gave the pack: no code, the mirror keeps what it knew
    ("", None),
])
def test_an_optional_language_column_gives_the_users_language(cell, code):
    where = layout([*HEADERS, "Language"], "cadre_id")
    assert "Language" not in where.fields  # a column, not a profile field
    parsed = parse_row([*row(), cell], where, "cadre_id")
    assert parsed.get("lang") == code and ("lang" in parsed) == (code is not None)
    assert "lang" not in parse_row(row(), layout(HEADERS, "cadre_id"), "cadre_id")  # no column: nothing said

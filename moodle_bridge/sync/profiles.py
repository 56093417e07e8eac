"""Reading the profiles report: cadres' profiles from a custom report on the Users source (pure).

Cells are what Moodle shows (core_reportbuilder\\local\\entities\\user): text columns through s()
(HTML special characters as entities: "&amp;", "&#039;"), *Suspended* as "Yes"/"No", and the user's
id only inside *Full name with link* (``<a href=".../user/profile.php?id=42">``): the user entity has
no plain id column. A profile field column is titled with the field's name, which the sync cannot
map to the field's short name; so the README asks the administrator to head each profile field
column with its short name (the report editor lets a column's heading be changed), and every
column but the fixed ones below is read as the profile field of that short name.

An optional *Language* column (*User: Language*, where the Moodle release offers it) gives each user's language: its
cell is the language pack's name with the code in brackets ("English (en)", between left-to-right marks), the code
alone for a pack no longer installed, or an alias the site gave the pack (no code: the mirror keeps what it knew).
Without the column a report row says nothing of the language, and the mirror keeps what a lookup read.

The Users source leaves out deleted users and the guest (its base condition), so a deleted user is
never in it: the sync finds them as before (out of every cohort and course, asked by id).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from .report import ReportLayoutError

# Column roles and the English headers Moodle 5.1 gives them (Users source).
HEADERS = {
    "link": "Full name with link",
    "username": "Username",
    "idnumber": "ID number",
    "firstname": "First name",
    "lastname": "Last name",
    "email": "Email address",
    "department": "Department",
    "suspended": "Suspended",
}
# Optional columns: read when the report has them.
OPTIONAL = {"lang": "Language"}
# Columns the sync reads from other reports or ignores; never a profile field.
IGNORED = frozenset({"Time modified", "Full name"})
_LINK = re.compile(r"/user/profile\.php\?id=(\d+)")
_SHORTNAME = re.compile(r"^[A-Za-z0-9_]+$")
_LANG_CODE = re.compile(r"^[a-z]{2,3}(?:_[a-z0-9]+)*$")  # a Moodle language pack's code: en, zh_cn, pt_br
_LANG_IN_NAME = re.compile(r"\(([a-z]{2,3}(?:_[a-z0-9]+)*)\)\W*$")  # "English \u200e(en)\u200e"
SUSPENDED = {"Yes": True, "No": False}


@dataclass(frozen=True)
class ProfileLayout:
    positions: dict[str, int]  # role -> column index
    fields: dict[str, int]  # profile field short name -> column index


def layout(headers: list[str], cadre_id_field: str) -> ProfileLayout:
    """Where each column is; ReportLayoutError saying what to change when a needed one is missing."""
    positions: dict[str, int] = {}
    fields: dict[str, int] = {}
    by_header = {label: role for role, label in {**HEADERS, **OPTIONAL}.items()}
    odd = []
    for index, raw in enumerate(headers):
        header = raw.strip()
        role = by_header.get(header)
        if role is not None and role not in positions:
            positions[role] = index
        elif header in IGNORED or role is not None:
            continue
        elif _SHORTNAME.match(header):
            fields[header] = index
        else:
            odd.append(header)
    missing = [HEADERS[role] for role in HEADERS if role not in positions]
    if missing or odd or cadre_id_field not in fields:
        problems = []
        if missing:
            problems.append("lacks the column(s) " + ", ".join(f"'{m}'" for m in missing))
        if cadre_id_field not in fields:
            problems.append(f"has no column headed '{cadre_id_field}' (the cadre id profile field)")
        if odd:
            problems.append("has column(s) headed " + ", ".join(f"'{o}'" for o in odd)
                            + " (head each profile field column with the field's short name)")
        raise ReportLayoutError(
            f"the profiles report {'; '.join(problems)} (it has: {', '.join(headers)}). Check the integration "
            "user's language is English (README, The profiles report).")
    return ProfileLayout(positions, fields)


def parse_row(columns: list[str | None], where: ProfileLayout, cadre_id_field: str) -> dict[str, Any]:
    """A mirror_users row, as ``rows.user_row`` makes one from Moodle's user record."""
    if any(i >= len(columns) for i in [*where.positions.values(), *where.fields.values()]):
        raise ValueError(f"the row has {len(columns)} cells, fewer than the report's columns")

    def text(index: int) -> str:
        return html.unescape(str(columns[index] or ""))

    link = _LINK.search(str(columns[where.positions["link"]] or ""))
    if link is None:
        raise ValueError("'Full name with link' holds no link to the user's profile (no user id)")
    suspended = SUSPENDED.get(text(where.positions["suspended"]).strip())
    if suspended is None:
        raise ValueError(f"'Suspended' is {text(where.positions['suspended'])!r}, expected Yes or No")
    profile = {name: value for name, index in sorted(where.fields.items()) if (value := text(index))}
    cell = {role: text(index) for role, index in where.positions.items()}
    row = {"id": int(link.group(1)), "username": cell["username"], "idnumber": cell["idnumber"] or None,
           "firstname": cell["firstname"], "lastname": cell["lastname"], "email": cell["email"],
           "department": cell["department"] or None, "suspended": suspended,
           "cadre_id": profile.get(cadre_id_field) or None, "profile": profile}
    lang = language_code(cell["lang"]) if "lang" in cell else None
    if lang is not None:  # no column, or no code in it: the mirror keeps the language it knew
        row["lang"] = lang
    return row


def language_code(cell: str) -> str | None:
    """The language code in a *Language* cell: "English (en)" or "en" give "en"; an alias without one, None."""
    value = cell.strip().strip("\u200e\u200f").strip()
    if _LANG_CODE.match(value):
        return value
    found = _LANG_IN_NAME.search(value)
    return found.group(1) if found else None


def describe(columns: list[str | None], where: ProfileLayout) -> str:
    """Which user a raw row is about, for a person reading the sync's summary."""
    index = where.positions.get("username")
    name = str(columns[index] or "") if index is not None and index < len(columns) else ""
    return f"user {html.unescape(name) or '?'}"

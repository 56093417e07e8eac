"""Cells for spreadsheets: text that a spreadsheet program would run as a formula is neutralised."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "{")
# xlsxwriter would otherwise write "{=...}" as an array formula and "http://", "file://" or
# "external:" text as live links: Moodle data is text, always.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False}


def safe_cell(value: Any) -> Any:
    """A leading quote keeps '=HYPERLINK(...)' (or '-2+3') as text in Excel and WPS."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value

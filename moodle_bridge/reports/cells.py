"""Cells for spreadsheets: text that a spreadsheet program would run as a formula is neutralised."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A leading quote keeps '=HYPERLINK(...)' (or '-2+3') as text in Excel and WPS."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value

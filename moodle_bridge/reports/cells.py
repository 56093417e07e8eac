"""Cells for spreadsheets: numbers with the way they read (`Shown`), and text a spreadsheet program would run as a
formula neutralised.

Rates, changes and per-cadre figures are made here, once: the report, the sheets, the charts and the review page all
show a rate through `rate_cell`, so they agree to the digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "{")
# xlsxwriter would otherwise write "{=...}" as an array formula and "http://", "file://" or
# "external:" text as live links: Moodle data is text, always.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False}
NO_FIGURE = "-"  # a rate or a change that does not exist (nobody counted, no earlier evaluation)


@dataclass(frozen=True)
class Shown:
    """A number and how it reads, e.g. Shown(0.5, "50.0%", "0.0%"): "50.0%" in CSV and HTML, 0.5 shown as 50.0% in
    Excel. Its text is made from the number here, never from Moodle: it is written as it is (no formula guard).
    `value` None: no figure, its text alone."""

    value: float | None
    text: str
    excel_format: str

    def __str__(self) -> str:
        return self.text


def rate_cell(rate: float | None) -> Shown:
    """A completion rate as everyone shows it: the published rate (``rules.completion_rate``, already rounded to a
    tenth of a percent) with one decimal, e.g. 0.038 reads 3.8%. The only place a rate is formatted."""
    if rate is None:
        return Shown(None, NO_FIGURE, "0.0%")
    return Shown(rate, f"{rate:.1%}", "0.0%")


def change_cell(points: float | None) -> Shown:
    """A change in percentage points (``rules.rates.rate_change``), signed: +0.4, -1.2, 0.0."""
    if points is None:
        return Shown(None, NO_FIGURE, "+0.0;-0.0;0.0")
    return Shown(points, f"{points:+.1f}" if points else "0.0", "+0.0;-0.0;0.0")


def number_cell(value: float, places: int = 1) -> Shown:
    """A figure with a fixed number of places (hours per cadre, flags per 100 cadres): 94.5, 12.0."""
    return Shown(value, f"{value:.{places}f}", "0." + "0" * places if places else "0")


def safe_cell(value: Any) -> Any:
    """A leading quote keeps '=HYPERLINK(...)' (or '-2+3') as text in Excel and WPS. Text only: numbers and
    `Shown` figures are ours and stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value

"""The units table staff use: units ranked by completion rate with the county's total row, as tables (CSV, Excel)
and as HTML with its pictures (a bar of statuses per unit, the rate through the period).

The review page's dashboard shows the same columns through `figure_headers` and `figures`, and every rate through
`cells.rate_cell`: the page and the reports agree to the digit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jinja2 import Environment

from ..i18n import N_, _, translated
from ..results import Evaluation, TrendPoint, UnitRate, UnitRates
from ..rules import STATUSES
from .cells import change_cell, number_cell, rate_cell
from .chart import status_bars, trend_chart
from .export import Sheet

# The table counts cadres by status, in the order of rules.STATUSES: every status but the suspended (a unit does not
# count its suspended cadres). A column header a status (capitalised, unlike its label in a sentence).
UNIT_COLUMNS = [status for status in STATUSES if status != "suspended"]
STATUS_HEADERS = {"compliant": N_("Compliant"), "on_track": N_("On track"), "at_risk": N_("At risk"),
                  "non_compliant": N_("Non-compliant"), "exempt": N_("Exempt")}


def status_headers() -> dict[str, str]:
    """Each counted status -> its column header (and legend label), in the current language."""
    return {status: translated(STATUS_HEADERS[status]) for status in UNIT_COLUMNS}


def figure_headers() -> list[str]:
    """The headers of a unit's figures (after its rank and name)."""
    return [_("Cadres"), *status_headers().values(), _("Completion rate"),
            _("Change since the last evaluation (points)"), _("Hours per cadre"), _("Flags per 100 cadres")]


def figures(unit: UnitRate) -> list[Any]:
    """A unit's (or the total's) figures, numbers as numbers: cadres, by status, rate, change, hours and flags."""
    return [unit.cadres, *(unit.counts[s] for s in UNIT_COLUMNS), rate_cell(unit.completion_rate),
            change_cell(unit.change), number_cell(unit.hours_per_cadre), number_cell(unit.flags_per_100)]


def caption(title: str, evaluation: Evaluation) -> str:
    """A printed table's title row: the report, its period and the day it is as of."""
    return _("{title} ({period} period, as of {day})").format(title=title, period=evaluation.period,
                                                             day=evaluation.as_of.isoformat())


def in_tree(data: UnitRates) -> bool:
    """Whether the units form a tree (some unit is below another): the table then names each one's parent."""
    return any(u.parent for u in data.units)


def ranking_sheet(data: UnitRates, title: str, sheet_title: str | None = None) -> Sheet:
    """The units ranked, each with its figures, and the total row; in a tree, each unit followed by those below it
    (its figures include theirs), ranked among the units beside it, with its parent unit named."""
    names = {u.code: u.name for u in data.units}
    parents = [[names.get(u.parent, u.parent) if u.parent else ""] for u in data.units] if in_tree(data) else []
    headers = [_("Rank"), _("Unit code"), _("Unit"), *([_("Parent unit")] if parents else []), *figure_headers()]
    rows = [[u.rank if u.rank is not None else "", u.code, u.name, *(parents[n] if parents else []), *figures(u)]
            for n, u in enumerate(data.units)]
    return Sheet(sheet_title or _("Units"), headers, rows,
                 footer=[[_("Total"), "", "", *([""] if parents else []), *figures(data.total)]],
                 caption=caption(title, data.evaluation))


def title(data: UnitRates | None = None) -> str:
    if data is not None and in_tree(data):
        return _("Units by completion rate, each with the units below it")
    return _("Units ranked by completion rate")


def tables(data: UnitRates) -> list[Sheet]:
    return [ranking_sheet(data, title(data))]


def status_chart(units: Sequence[UnitRate], width: int = 720) -> str:
    """Per unit, its cadres by status, with its rate at the end."""
    return status_bars([(u.name, u.counts, str(rate_cell(u.completion_rate))) for u in units], status_headers(),
                       _("Cadres by status, per unit"), width=width)


def trend_svg(points: Sequence[TrendPoint], width: int = 640) -> str:
    """The rate through the period; empty when there is nothing to draw."""
    if not any(p.rate is not None for p in points):
        return ""
    return trend_chart([(p.day, p.rate) for p in points], _("Completion rate through the period"), width=width)


def html(data: UnitRates, environment: Environment, common: Mapping[str, Any]) -> str:
    sheet = ranking_sheet(data, title(data))
    return environment.get_template("units.html.j2").render(
        title=title(data), headers=sheet.headers, rows=sheet.rows, footer=sheet.footer,
        depths=[min(u.depth, 4) for u in data.units], named=4 if in_tree(data) else 3,
        chart=status_chart(data.units, width=580), trend=trend_svg(data.trend, width=400),  # side by side on A4
        labels={"by_status": _("Cadres by status, per unit"),
                                             "trend": _("Completion rate through the period")}, **common)

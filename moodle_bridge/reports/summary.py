"""The year-end summary (年度干部教育培训情况汇总): one page for the county, as tables (CSV, Excel) and as HTML.

The county's totals, the rate through the period, the units ranked (the units table's own sheet), the cadres still
short and the make-up their shortfall owes next period; a sign-off block for the printed page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment

from ..i18n import _
from ..results import YearSummary
from .cells import change_cell, number_cell, rate_cell
from .export import Sheet
from .plain import explain, flag_label
from .units import caption, ranking_sheet, status_chart, status_headers, trend_svg


def title() -> str:
    return _("Year-end summary of cadre education and training")


def totals_sheet(data: YearSummary) -> Sheet:
    """The county's figures, one a line."""
    total = data.rates.total
    rows: list[list[Any]] = [[_("Cadres"), total.cadres],
                             *([header, total.counts[status]] for status, header in status_headers().items()),
                             [_("Hours in all"), number_cell(total.hours)],
                             [_("Hours per cadre"), number_cell(total.hours_per_cadre)],
                             [_("Completion rate"), rate_cell(total.completion_rate)],
                             [_("Change since the last evaluation (points)"), change_cell(total.change)],
                             [_("Flags per 100 cadres"), number_cell(total.flags_per_100)]]
    return Sheet(_("County totals"), [_("What"), _("Figure")], rows, caption=caption(title(), data.evaluation),
                 landscape=False)


def short_sheet(data: YearSummary) -> Sheet:
    """The cadres non-compliant as of the evaluation, with the hours they are short and what is missing."""
    rows = [[c.unit_name, c.cadre_id, c.name, number_cell(c.hours), "" if c.required is None
             else number_cell(c.required), number_cell(c.short),
             "; ".join(f"{flag_label(f.kind)}: {explain(f.kind, f.evidence)}" for f in c.flags)]
            for c in data.still_short]
    return Sheet(_("Still short"), [_("Unit"), _("Cadre ID"), _("Name"), _("Hours"), _("Hours required"),
                                    _("Hours short"), _("What is missing")], rows,
                 caption=caption(_("Cadres still short"), data.evaluation))


def makeup_sheet(data: YearSummary) -> Sheet:
    """The make-up each shortfall owes next period, and by when."""
    rows = [[m.cadre.unit_name, m.cadre.cadre_id, m.cadre.name, number_cell(m.cadre.short), m.due]
            for m in data.makeup or []]
    return Sheet(_("Make-up owed"), [_("Unit"), _("Cadre ID"), _("Name"), _("Make-up hours"), _("Due")], rows,
                 caption=caption(_("Make-up owed next period"), data.evaluation))


def tables(data: YearSummary) -> list[Sheet]:
    return [totals_sheet(data), ranking_sheet(data.rates, title(), _("Units")), short_sheet(data),
            makeup_sheet(data)]


def html(data: YearSummary, environment: Environment, common: Mapping[str, Any]) -> str:
    total = data.rates.total
    key_figures = [(_("Cadres"), total.cadres), (_("Completion rate"), rate_cell(total.completion_rate)),
                   (_("Hours per cadre"), number_cell(total.hours_per_cadre)),
                   (_("Hours in all"), number_cell(total.hours)),
                   *((header, total.counts[status]) for status, header in status_headers().items())]
    ranking, short, makeup = ranking_sheet(data.rates, title()), short_sheet(data), makeup_sheet(data)
    labels = {"key": _("County totals"), "ranking": _("Units ranked by completion rate"),
              "trend": _("Completion rate through the period"), "by_status": _("Cadres by status, per unit"),
              "short": _("Cadres still short"), "makeup": _("Make-up owed next period"),
              "none_short": _("No cadre is non-compliant."), "none_makeup": _("No make-up is owed."),
              "no_rules": _("The rules that judged this evaluation are not kept: the make-up owed cannot be "
                            "worked out. Evaluate again to keep them."),
              "not_over": _("The period ends on {day}: until then a cadre can still make good what is missing; "
                            "these lists are as of {as_of}.").format(day=data.last_day.isoformat(),
                                                                     as_of=data.evaluation.as_of.isoformat()),
              "prepared": _("Prepared by:"), "reviewed": _("Reviewed by:"), "date": _("Date:")}
    return environment.get_template("summary.html.j2").render(
        title=title(), period_over=data.period_over, key_figures=key_figures, ranking=ranking, short=short,
        makeup=makeup, has_rules=data.makeup is not None, chart=status_chart(data.rates.units, width=600),
        trend=trend_svg(data.rates.trend, width=380),  # side by side on A4 landscape
        labels=labels, **common)

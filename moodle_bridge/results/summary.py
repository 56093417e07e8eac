"""The year-end summary of a period for the county: the units ranked with their total, the rate through the period,
who is still short, and the make-up their shortfall owes in the next period."""

from __future__ import annotations

from sqlalchemy import Connection, or_, select

from ..rules.evaluate import shortfall
from ..rules.kinds.base import last_day
from ..rules.makeup_owed import makeup_due
from ..rules.periods import period as period_of_label
from ..rules.sections import Organisation
from ..store.held import held_in
from ..store.schema import evaluation_results
from .answers import CadreResult, MakeUpOwed, ShortCadre, YearSummary
from .by_flag import cadre_flags
from .by_unit import units
from .judged_rules import judged_rules


def year_summary(connection: Connection, period: str | None = None) -> YearSummary:
    """The latest evaluation of the period (the latest period by default). The make-up owed follows the rules that
    judged it; None when they are not kept (an evaluation older than kept rules). Raises NoEvaluation."""
    rates = units(connection, period)
    current = rates.evaluation
    hours = evaluation_results.c.hours_online + evaluation_results.c.hours_offline
    rows = [CadreResult.from_row(r) for r in connection.execute(
        select(evaluation_results).where(
            held_in(evaluation_results, current.id),
            or_(evaluation_results.c.status == "non_compliant",  # short of hours, or of something else
                evaluation_results.c.required_hours > hours))
        .order_by(evaluation_results.c.unit_name, evaluation_results.c.name, evaluation_results.c.cadre_id))]
    flags = cadre_flags(connection, current.id, [r.cadre_id for r in rows])
    short = [ShortCadre(cadre_id=r.cadre_id, name=r.name, unit_code=r.unit_code, unit_name=r.unit_name,
                        status=r.status, hours=round(r.hours, 2), required=r.required_hours,
                        short=shortfall(r.status, r.required_hours, r.hours), flags=flags[r.cadre_id])
             for r in rows]
    rules = judged_rules(connection, current.rules_hash)
    organisation = rules.organisation if rules else Organisation()
    makeup = None
    if rules is not None:
        groups = {r.cadre_id: r.groups for r in rows}
        # Owed only by a cadre the evaluation found non-compliant: before the period's end, a cadre behind its pace
        # (at risk, on track) may still make the hours up this period and owes nothing yet.
        makeup = [MakeUpOwed(cadre, due) for cadre in short if cadre.short and cadre.status == "non_compliant"
                  and (due := makeup_due(rules, groups[cadre.cadre_id], current.period)) is not None]
    return YearSummary(rates=rates, still_short=[c for c in short if c.status == "non_compliant"], makeup=makeup,
                       last_day=last_day(period_of_label(current.period, organisation).end, organisation))



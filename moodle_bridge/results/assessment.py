"""The year-end assessment of a period (目标责任考核): its latest evaluation's figures of each unit against the targets
staff imported for the period, scored by the rules that judged it (``rules/assessment.py``).

Each unit's figures: its completion rate and hours per cadre as the units table publishes them, the share of its
counted cadres without a required course missing, overdue or failed (from the units' tallies, or the results of an
older version's evaluation), and the distinct offline trainings of the period (by their end day, as their hours
count) whose organiser is the unit, by name or code, withdrawn rows apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from ..rules.assessment import (
    NOT_COMPLETED,
    TARGETS,
    Assessment,
    UnitFigures,
    UnitScore,
    UnitTargets,
    assess,
    required_share,
)
from ..rules.kinds.base import last_day
from ..rules.periods import period as period_of_label
from ..rules.rates import counted_cadres
from ..rules.sections import Organisation
from ..rules.units import UnitTree
from ..store.held import held_in, same_version
from ..store.schema import (
    evaluation_flags,
    evaluation_results,
    evaluations,
    mirror_cohorts,
    offline_records,
    unit_tallies,
)
from ..store.unit_targets import period_targets
from .answers import Evaluation, UnitRate
from .by_unit import rolled_rates
from .evaluations import latest
from .judged_rules import judged_rules
from .scope import Scope
from .tallies import tallied
from .tree import unit_tree


@dataclass(frozen=True)
class YearAssessment:
    """The units of a period scored against their targets and ranked (the scored first; then those with no cadres
    counted, then those with no targets), as of the period's latest evaluation. ``weights``: each target's weight
    in the rules that judged it; ``partial``: what a target not met scores. ``targets_file``: the file the targets
    were imported from and when (None: none imported for the period)."""

    evaluation: Evaluation
    weights: dict[str, float]
    partial: str
    first_day: date
    last_day: date
    units: list[UnitScore] = field(default_factory=list)
    targets_file: str | None = None
    targets_imported_at: datetime | None = None
    judged_by_kept_rules: bool = True  # False: the rules that judged are not kept; the default weights score it


def unit_figures(connection: Connection, evaluation_id: int, first: date, last: date) -> dict[str, UnitFigures]:
    """Each unit's figures in the evaluation (its trainings organised ``first``..``last``): the one read of per-unit
    figures the assessment makes. With a unit tree, a unit's figures include the units' below it (its rates, its
    cadres with a required course not completed, the trainings organised), as the units table's do."""
    tree = unit_tree(connection, evaluation_id)
    rates = rolled_rates(connection, evaluation_id)
    missing = _rolled(_not_completed(connection, evaluation_id, rates), tree)
    trainings = organised_sets(connection, first, last, {code: r.name for code, r in rates.items()})
    organised: dict[str, set[tuple[str, date, date]]] = {}
    for code, found in trainings.items():  # the same training organised by a town and its office counts once
        for above in tree.path(code):
            organised.setdefault(above, set()).update(found)
    return {code: _figures(r, missing.get(code, 0), len(organised.get(code, ()))) for code, r in rates.items()}


def _rolled(own: dict[str, int], tree: UnitTree) -> dict[str, int]:
    """Each unit's count with those of the units below it (a cadre belongs to one unit: no one counts twice)."""
    rolled: dict[str, int] = {}
    for code, n in own.items():
        for above in tree.path(code):
            rolled[above] = rolled.get(above, 0) + n
    return rolled


def _not_completed(connection: Connection, evaluation_id: int, codes: Iterable[str]) -> dict[str, int]:
    """Per unit, its cadres with a flag of a required course not completed (``NOT_COMPLETED``). From the units'
    tallies (flagged cadres by kind) where a unit has one such kind only; a cadre may carry two (two requirements),
    so a unit with several is counted from its flags."""
    kinds = sorted(NOT_COMPLETED)
    found: dict[str, int] = {}
    exact: list[str] = list(codes)
    if tallied(connection, evaluation_id):
        exact = []
        for row in connection.execute(select(unit_tallies.c.unit_code, unit_tallies.c.flagged_kinds).where(
                held_in(unit_tallies, evaluation_id))):
            present = {k: n for k, n in (row.flagged_kinds or {}).items() if k in NOT_COMPLETED and n}
            if len(present) > 1:
                exact.append(row.unit_code)
            else:
                found[row.unit_code] = sum(present.values())
    if exact:
        query = (select(evaluation_results.c.unit_code, func.count(func.distinct(evaluation_results.c.cadre_id)))
                 .select_from(evaluation_results)
                 .join(evaluation_flags, same_version(evaluation_flags, evaluation_results))
                 .where(held_in(evaluation_results, evaluation_id), evaluation_flags.c.kind.in_(kinds),
                        evaluation_results.c.status != "suspended")
                 .group_by(evaluation_results.c.unit_code))
        counted: dict[str, int] = {r[0]: r[1] for r in connection.execute(query)}
        found.update({code: counted.get(code, 0) for code in exact})
    return found


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def organised_trainings(connection: Connection, first: date, last: date,
                        units: dict[str, str]) -> dict[str, int]:
    """Per unit code (``units``: code -> name), the distinct offline trainings (title, start, end) ending in
    ``first``..``last`` whose organiser is the unit's name or code (spaces and case aside); withdrawn rows apart."""
    return {code: len(found) for code, found in organised_sets(connection, first, last, units).items()}


def organised_sets(connection: Connection, first: date, last: date,
                   units: dict[str, str]) -> dict[str, set[tuple[str, date, date]]]:
    """As ``organised_trainings``, the trainings themselves. An organiser named as several units are (offices of
    the same name in two towns) is credited to none of them: the file should give the unit's code."""
    o = offline_records.c
    named: dict[str, set[str]] = {}
    for code, name in units.items():
        named.setdefault(_fold(name), set()).add(code)
    # A code names its unit; a name only when one unit has it (every town has its own "Party Office").
    by_organiser = {name: next(iter(codes)) for name, codes in named.items() if len(codes) == 1}
    by_organiser.update({_fold(code): code for code in units})
    trainings: dict[str, set[tuple[str, date, date]]] = {}
    for row in connection.execute(select(o.organiser, o.training, o.start, o.end).where(
            o.withdrawn_at.is_(None), o.organiser.is_not(None), o.end >= first, o.end <= last).distinct()):
        organiser = by_organiser.get(_fold(row.organiser))
        if organiser is not None:
            trainings.setdefault(organiser, set()).add((_fold(row.training), row.start, row.end))
    return trainings


def _cohort_names(connection: Connection, codes: Iterable[str]) -> dict[str, str]:
    wanted = list(codes)
    if not wanted:
        return {}
    return {r.idnumber: r.name for r in connection.execute(select(mirror_cohorts.c.idnumber, mirror_cohorts.c.name)
                                                          .where(mirror_cohorts.c.idnumber.in_(wanted)))}


def _figures(rate: UnitRate, not_completed: int, organised: int) -> UnitFigures:
    counted = counted_cadres(rate.counts)
    return UnitFigures(code=rate.code, name=rate.name, counted=counted, completion_rate=rate.completion_rate,
                       hours_per_cadre=rate.hours_per_cadre, required_courses=required_share(counted, not_completed),
                       organised_trainings=organised)


def year_assessment(connection: Connection, period: str | None = None, units: Scope = None) -> YearAssessment:
    """The period's assessment (the latest period's by default), of the units in the scope (None: every unit); a
    unit keeps the rank it has among every unit of the period. Raises NoEvaluation."""
    current = latest(connection, period)
    rules = judged_rules(connection, current.rules_hash)
    scoring = rules.assessment if rules is not None else Assessment()
    organisation = rules.organisation if rules is not None else Organisation()
    span = period_of_label(current.period, organisation)
    first = datetime.fromtimestamp(span.start, ZoneInfo(organisation.timezone)).date()
    final = last_day(span.end, organisation)
    figures = unit_figures(connection, current.id, first, final)
    stored = period_targets(connection, current.period)
    targets = {t.unit_code: UnitTargets(t.unit_code, t.completion_rate, t.hours_per_cadre, t.required_courses,
                                        None if t.organised_trainings is None else float(t.organised_trainings))
               for t in stored}
    outside = [code for code in targets if code not in figures]
    names = _cohort_names(connection, outside)
    if outside:  # a unit with targets and no cadres: its own trainings still count
        more = organised_trainings(connection, first, final, {code: names.get(code, code) for code in outside})
        figures.update({code: UnitFigures(code, names.get(code, code), 0, None, 0.0, None, more.get(code, 0))
                        for code in outside})
    scored = assess(scoring, figures, targets)
    if units is not None:
        allowed = set(units)
        scored = [s for s in scored if s.code in allowed]
    latest_import = max(stored, key=lambda t: t.imported_at, default=None)
    return YearAssessment(
        evaluation=current, weights={t: scoring.weights.of(t) for t in TARGETS}, partial=scoring.partial,
        first_day=first, last_day=final, units=scored,
        targets_file=latest_import.source_file if latest_import else None,
        targets_imported_at=latest_import.imported_at if latest_import else None,
        judged_by_kept_rules=rules is not None)


def assessed_periods(connection: Connection) -> list[str]:
    """The periods with an evaluation, the latest first: those an assessment can be asked of."""
    return [p for (p,) in connection.execute(select(evaluations.c.period).distinct().order_by(
        evaluations.c.period.desc()))]

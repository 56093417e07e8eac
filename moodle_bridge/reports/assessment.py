"""The year-end assessment (目标责任考核) of units against their targets: the units ranked by score, each target's
target value, what was achieved, met or not and its points; below, each unit's targets explained in plain words. As
tables (CSV, Excel: figures as numbers) and as HTML (and from it PDF); the review page shows the same rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment

from ..i18n import N_, _, local_time, translated
from ..results.assessment import YearAssessment
from ..rules.assessment import SHARES, TARGETS, TargetScore, UnitScore
from .cells import NO_FIGURE, Shown, number_cell, rate_cell
from .export import Sheet
from .units import caption

TARGET_LABELS = {"completion_rate": N_("Completion rate"), "hours_per_cadre": N_("Hours per cadre"),
                 "required_courses": N_("Required courses completed"),
                 "organised_trainings": N_("Trainings organised by the unit")}
STANDING_LABELS = {"no_targets": N_("no targets"), "no_cadres": N_("no cadres counted")}
_UNSET = TargetScore("", None, None, 0.0)
PART_LABELS = {"goal": N_("Target value"), "actual": N_("Achieved"), "met": N_("Met"), "points": N_("Points")}


def title() -> str:
    return _("Year-end target assessment of units")


def target_label(target: str) -> str:
    return translated(TARGET_LABELS[target])


def standing_label(standing: str) -> str:
    return translated(STANDING_LABELS.get(standing, standing))


def met_label(met: bool | None) -> str:
    if met is None:
        return ""
    return _("met") if met else _("not met")


def figure_cell(target: str, value: float | None) -> Any:
    """A target or a figure as it reads: a share as a percent, hours to a tenth, trainings as a whole number."""
    if value is None:
        return Shown(None, NO_FIGURE, "0")
    if target in SHARES:
        return rate_cell(value)
    if target == "hours_per_cadre":
        return number_cell(value)
    return Shown(value, f"{value:.0f}", "0")


def shown_targets(data: YearAssessment) -> list[str]:
    """The targets the report has columns for: those with a weight, and any a unit was set."""
    return [t for t in TARGETS if data.weights.get(t, 0) > 0
            or any(s.target == t for u in data.units for s in u.targets)]


def _score_cell(unit: UnitScore) -> Any:
    return number_cell(unit.score) if unit.score is not None else standing_label(unit.standing)


def unit_cells(unit: UnitScore, targets: list[str]) -> list[Any]:
    """A unit's cells after its rank, code and name: its score, then each target's value, achieved, met, points."""
    cells: list[Any] = [_score_cell(unit)]
    for target in targets:
        scored = unit.target(target)
        if scored is None or scored.goal is None:
            cells += [_("not set") if unit.standing != "no_targets" else "", "", "", ""]
            continue
        cells += [figure_cell(target, scored.goal), figure_cell(target, scored.actual), met_label(scored.met),
                  "" if scored.points is None else number_cell(scored.points)]
    return cells


def _points(value: float | None) -> str:
    return NO_FIGURE if value is None else f"{value:.1f}"


def explain_target(scored: TargetScore) -> str:
    """One target of a unit in plain words: what was set, what was achieved, and the points it earned."""
    what = target_label(scored.target)
    goal, actual = figure_cell(scored.target, scored.goal), figure_cell(scored.target, scored.actual)
    if scored.goal is None:
        return _("{target}: no target set; not assessed.").format(target=what)
    if scored.met is None:
        return _("{target}: target {goal}, achieved {actual}.").format(target=what, goal=goal, actual=actual)
    if scored.met:
        return _("{target}: target {goal}, achieved {actual}: met, {points} of {possible} points.").format(
            target=what, goal=goal, actual=actual, points=_points(scored.points), possible=_points(scored.possible))
    if scored.partial:
        return _("{target}: target {goal}, achieved {actual}: not met; {points} of {possible} points, in "
                 "proportion to what was achieved.").format(target=what, goal=goal, actual=actual,
                                                            points=_points(scored.points),
                                                            possible=_points(scored.possible))
    return _("{target}: target {goal}, achieved {actual}: not met; 0 of {possible} points.").format(
        target=what, goal=goal, actual=actual, possible=_points(scored.possible))


def explain_unit(unit: UnitScore, weights: Mapping[str, float]) -> list[str]:
    """A unit's assessment in plain words, a sentence a target (a target of some weight left blank too), or why it
    is not scored."""
    if unit.standing == "no_targets":
        return [_("No targets were set for this unit (or none that carries a weight): it is not scored.")]
    if unit.standing == "no_cadres":
        return [_("No cadre of this unit is counted in the evaluation: there is no figure to judge, and it is not "
                  "scored.")]
    lines = [explain_target(scored) if (scored := unit.target(t)) is not None
             else _("{target}: no target set; not assessed.").format(target=target_label(t))
             for t in TARGETS if unit.target(t) is not None or weights.get(t, 0) > 0]
    return [*lines, _("Score: {score} of 100.").format(score=_points(unit.score))]


def method_lines(data: YearAssessment) -> list[str]:
    """How the scores are made, in plain words (weights, a target not met, a blank target), and where the targets
    come from."""
    weights = _(", ").join(f"{target_label(t)} {data.weights[t]:g}" for t in TARGETS if data.weights.get(t, 0) > 0)
    lines = [_("Weights: {weights}. A unit's score is out of 100: the weights of the targets it was set, scaled to "
               "100; a blank target is not assessed.").format(weights=weights),
             _("A target not met earns points in proportion to what was achieved (achieved ÷ target).")
             if data.partial == "proportional" else _("A target not met earns no points."),
             _("Equal scores share a rank.")]
    if data.targets_file:
        lines.append(_("Targets from {file}, imported {when}.").format(
            file=data.targets_file, when=local_time(data.targets_imported_at)))
    else:
        lines.append(_("No targets have been imported for the {period} period.").format(period=data.evaluation.period))
    if not data.judged_by_kept_rules:
        lines.append(_("The rules that judged this evaluation are not kept: the default weights are used."))
    if data.evaluation.as_of < data.last_day:
        lines.append(_("The period ends on {day}: these figures are as of {as_of} and may still change.").format(
            day=data.last_day.isoformat(), as_of=data.evaluation.as_of.isoformat()))
    return lines


def headers(targets: list[str]) -> list[str]:
    """The ranked table's headers, one row (CSV and Excel)."""
    parts = [translated(PART_LABELS[p]) for p in ("goal", "actual", "met", "points")]
    return [_("Rank"), _("Unit code"), _("Unit"), _("Score (of 100)"),
            *(_("{target}: {part}").format(target=target_label(t), part=part) for t in targets for part in parts)]


def ranking_sheet(data: YearAssessment) -> Sheet:
    targets = shown_targets(data)
    rows = [[u.rank if u.rank is not None else "", u.code, u.name, *unit_cells(u, targets)] for u in data.units]
    return Sheet(_("Assessment"), headers(targets), rows, caption=caption(title(), data.evaluation))


def explanation_sheet(data: YearAssessment) -> Sheet:
    rows = [[u.code, u.name, line] for u in data.units for line in explain_unit(u, data.weights)]
    return Sheet(_("Explained"), [_("Unit code"), _("Unit"), _("Explanation")], rows,
                 caption=caption(_("Each unit's targets explained"), data.evaluation), landscape=False)


def tables(data: YearAssessment) -> list[Sheet]:
    return [ranking_sheet(data), explanation_sheet(data)]


def page_context(data: YearAssessment) -> dict[str, Any]:
    """What the report's HTML and the review page show: the ranked rows, the headers in two rows, each unit's
    explanation, how it is scored."""
    targets = shown_targets(data)
    return {"targets": [(t, target_label(t)) for t in targets],
            "parts": [translated(PART_LABELS[p]) for p in ("goal", "actual", "met", "points")],
            "rows": [{"rank": u.rank, "code": u.code, "name": u.name, "scored": u.score is not None,
                      "score": _score_cell(u), "lines": explain_unit(u, data.weights),
                      "targets": [(cells[n:n + 4], (u.target(t) or _UNSET).met)
                                  for n, t in zip(range(1, len(cells), 4), targets, strict=True)]}
                     for u in data.units for cells in [unit_cells(u, targets)]],
            "method": method_lines(data),
            "labels": {"rank": _("Rank"), "unit": _("Unit"), "score": _("Score (of 100)"),
                       "explained": _("Each unit's targets explained"), "none": _("No unit in this assessment."),
                       "prepared": _("Prepared by:"), "reviewed": _("Reviewed by:"), "date": _("Date:")}}


def html(data: YearAssessment, environment: Environment, common: Mapping[str, Any]) -> str:
    return environment.get_template("assessment.html.j2").render(title=title(), **page_context(data), **common)

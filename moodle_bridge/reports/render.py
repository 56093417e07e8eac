"""Reports as HTML (one self-contained file) and as tables for `export` (CSV, Excel); the data from `results`."""

from __future__ import annotations

from datetime import UTC, datetime

from jinja2 import Environment, PackageLoader, select_autoescape

from ..i18n import _, current_language, local_time
from ..results import CadreFile, Evaluation, FlaggedByUnit, UnitRates, YearSummary
from ..results.assessment import YearAssessment
from ..results.feedback import CourseEvaluations, TrainingNeeds
from . import assessment, feedback, summary, training_file
from . import units as units_table
from .export import Sheet
from .plain import explain, flag_label, remedy, status_label

Report = UnitRates | YearSummary | FlaggedByUnit | CadreFile | YearAssessment | CourseEvaluations | TrainingNeeds


def _environment() -> Environment:
    return Environment(loader=PackageLoader("moodle_bridge.reports", "templates"),
                       autoescape=select_autoescape(["html", "j2"]), keep_trailing_newline=True)


def _meta(evaluation: Evaluation) -> str:
    return _("Period {period}, evaluated as of {day} (evaluation {id}); generated {now}").format(
        period=evaluation.period, day=evaluation.as_of, id=evaluation.id,
        now=local_time(datetime.now(UTC)))


# --- each report: its tables (for CSV and Excel) and its HTML -------------------------------------


def flagged_tables(data: FlaggedByUnit) -> list[Sheet]:
    headers = [_("Unit"), _("Cadre ID"), _("Name"), _("Status"), _("Hours"), _("Flag"), _("Evidence"),
               _("What would fix it")]
    rows = [[unit.name, c.cadre_id, c.name, status_label(c.status), c.hours, flag_label(f.kind),
             explain(f.kind, f.evidence), remedy(f.kind, f.evidence) or ""]
            for unit in data.units for c in unit.cadres for f in c.flags]
    return [Sheet(_("Flagged cadres"), headers, rows)]


def cadre_tables(data: CadreFile) -> list[Sheet]:
    """The training file as tables (particulars, requirements, courses and training, flags, the ledger)."""
    return training_file.sheets(data)


def tables(data: Report) -> list[Sheet]:
    """The report's tables, for CSV and Excel."""
    if isinstance(data, UnitRates):  # the units table and the year-end summary have their own modules
        return units_table.tables(data)
    if isinstance(data, YearSummary):
        return summary.tables(data)
    if isinstance(data, YearAssessment):
        return assessment.tables(data)
    if isinstance(data, CourseEvaluations | TrainingNeeds):  # Moodle's Feedback answers
        return feedback.tables(data)
    if isinstance(data, FlaggedByUnit):
        return flagged_tables(data)
    return cadre_tables(data)


def html(data: Report) -> str:
    env = _environment()
    if isinstance(data, CourseEvaluations | TrainingNeeds):  # as of the last sync: their own line under the title
        return feedback.html(data, env, {"lang": current_language().replace("_", "-")})
    common = {"lang": current_language().replace("_", "-"), "meta": _meta(data.evaluation)}
    if isinstance(data, UnitRates):
        return units_table.html(data, env, common)
    if isinstance(data, YearSummary):
        return summary.html(data, env, common)
    if isinstance(data, YearAssessment):
        return assessment.html(data, env, common)
    if isinstance(data, FlaggedByUnit):
        units = [{"code": unit.code, "name": unit.name, "cadres": [
            {"cadre_id": c.cadre_id, "name": c.name, "status": c.status, "status_label": status_label(c.status),
             "hours": c.hours, "required": c.required,
             "flags": [{"label": flag_label(f.kind), "text": explain(f.kind, f.evidence),
                        "remedy": remedy(f.kind, f.evidence)} for f in c.flags]}
            for c in unit.cadres]} for unit in data.units]
        labels = {"cadre_id": _("Cadre ID"), "name": _("Name"), "status": _("Status"), "hours": _("Hours"),
                  "flags": _("What is missing"), "remedy": _("What would fix it"), "colon": _(": "),
                  "none": _("No flagged cadres.")}
        return env.get_template("flagged.html.j2").render(title=_("Flagged cadres"), units=units, labels=labels,
                                                          **common)
    return training_file.html([data])

"""Reports as HTML (one self-contained file) and as tables for `export` (CSV, Excel); the data from `results`."""

from __future__ import annotations

from datetime import UTC, datetime

from jinja2 import Environment, PackageLoader, select_autoescape

from ..i18n import N_, _, current_language, translated
from ..results import CadreFile, Evaluation, FlaggedByUnit, LedgerEntry, UnitRates
from ..rules import STATUSES
from .chart import bar_chart
from .export import Sheet, Shown
from .plain import explain, flag_label, remedy, status_label

Report = UnitRates | FlaggedByUnit | CadreFile

# The units table counts cadres by status, in the order of rules.STATUSES: every status but the suspended (a unit
# does not count its suspended cadres). A column header a status (capitalised, unlike its label in a sentence).
UNIT_COLUMNS = [status for status in STATUSES if status != "suspended"]
_STATUS_HEADERS = {"compliant": N_("Compliant"), "on_track": N_("On track"), "at_risk": N_("At risk"),
                   "non_compliant": N_("Non-compliant"), "exempt": N_("Exempt")}


def _environment() -> Environment:
    return Environment(loader=PackageLoader("moodle_bridge.reports", "templates"),
                       autoescape=select_autoescape(["html", "j2"]), keep_trailing_newline=True)


def _percent(share: float | None) -> Shown | str:
    return "-" if share is None else Shown(share, f"{share:.1%}", "0.0%")


def _change(delta: float | None) -> Shown | str:
    return "" if delta is None else Shown(round(delta * 100, 2), f"{delta * 100:+.1f}", "+0.0;-0.0;0.0")


def _meta(evaluation: Evaluation) -> str:
    return _("Period {period}, evaluated as of {day} (evaluation {id}); generated {now}").format(
        period=evaluation.period, day=evaluation.as_of, id=evaluation.id,
        now=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))


# --- each report: its tables (for CSV and Excel) and its HTML -------------------------------------


def units_tables(data: UnitRates) -> list[Sheet]:
    headers = [_("Unit code"), _("Unit"), _("Cadres"), *(translated(_STATUS_HEADERS[s]) for s in UNIT_COLUMNS),
               _("Completion rate"), _("Change (points)"), _("Hours per cadre")]
    rows = [[u.code, u.name, u.cadres, *(u.counts[s] for s in UNIT_COLUMNS), _percent(u.completion_rate),
             _change(u.change), u.hours_per_cadre] for u in data.units]
    return [Sheet(_("Units"), headers, rows)]


def flagged_tables(data: FlaggedByUnit) -> list[Sheet]:
    headers = [_("Unit"), _("Cadre ID"), _("Name"), _("Status"), _("Hours"), _("Flag"), _("Evidence"),
               _("What would fix it")]
    rows = [[unit.name, c.cadre_id, c.name, status_label(c.status), c.hours, flag_label(f.kind),
             explain(f.kind, f.evidence), remedy(f.kind, f.evidence) or ""]
            for unit in data.units for c in unit.cadres for f in c.flags]
    return [Sheet(_("Flagged cadres"), headers, rows)]


def cadre_tables(data: CadreFile) -> list[Sheet]:
    result = data.result
    attributes: list[list[object]] = [
        [_("Cadre ID"), result.cadre_id], [_("Name"), result.name], [_("Unit"), result.unit_name],
        [_("Status"), status_label(result.status)],
        [_("Hours online"), result.hours_online], [_("Hours offline"), result.hours_offline],
        [_("Hours required"), result.required_hours or "-"]]
    attributes += [[key, value] for key, value in sorted(data.profile.items())]
    flags = [[flag_label(f.kind), explain(f.kind, f.evidence), f.rule] for f in data.flags]
    return [Sheet(_("Training file"), [_("What"), _("Value")], attributes),
            Sheet(_("Requirements not met"), [_("Flag"), _("Evidence"), _("Rule")], flags),
            Sheet(_("Credits ledger"), ledger_headers(), ledger_rows(data.entries))]


def ledger_headers() -> list[str]:
    return [_("No."), _("Period"), _("Source"), _("Kind"), _("Hours"), _("Online"), _("Earned"), _("Reason")]


def ledger_rows(entries: list[LedgerEntry]) -> list[list[object]]:
    return [[e.id, e.period, e.source, e.kind, Shown(e.hours, f"{e.hours:+.2f}", "+0.00;-0.00;0.00"),
             _("yes") if e.online else _("no"), datetime.fromtimestamp(e.earned_at, UTC).strftime("%Y-%m-%d"),
             e.reason or ""] for e in entries]


def tables(data: Report) -> list[Sheet]:
    """The report's tables, for CSV and Excel."""
    if isinstance(data, UnitRates):
        return units_tables(data)
    if isinstance(data, FlaggedByUnit):
        return flagged_tables(data)
    return cadre_tables(data)


def html(data: Report) -> str:
    env = _environment()
    common = {"lang": current_language().replace("_", "-"), "meta": _meta(data.evaluation)}
    if isinstance(data, UnitRates):
        sheet = units_tables(data)[0]
        chart = bar_chart([(u.name, u.completion_rate) for u in data.units])
        return env.get_template("units.html.j2").render(title=_("Unit completion rates"), headers=sheet.headers,
                                                        rows=sheet.rows, chart=chart, **common)
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
    attributes, requirements, ledger = cadre_tables(data)
    labels = {"attributes": attributes.title, "requirements": requirements.title, "ledger": ledger.title,
              "flag": _("Flag"), "evidence": _("Evidence"), "rule": _("Rule"),
              "all_met": _("Every requirement is met or on track.")}
    flags = [{"label": r[0], "text": r[1], "rule": r[2]} for r in requirements.rows]
    return env.get_template("cadre.html.j2").render(
        title=_("Training file of {name} ({cadre})").format(name=data.result.name, cadre=data.result.cadre_id),
        attributes=attributes.rows, flags=flags, ledger_headers=ledger.headers, ledger=ledger.rows, labels=labels,
        **common)

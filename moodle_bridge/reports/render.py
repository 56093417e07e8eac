"""Reports as HTML (one self-contained file), CSV (UTF-8 with BOM), Excel or JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..i18n import _, current_language
from .cells import WORKBOOK_OPTIONS, safe_cell
from .chart import bar_chart
from .plain import explain, flag_label, status_label


def _environment() -> Environment:
    return Environment(loader=PackageLoader("moodle_bridge.reports", "templates"),
                       autoescape=select_autoescape(["html", "j2"]), keep_trailing_newline=True)


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.1%}"


def _change(delta: float | None) -> str:
    return "" if delta is None else f"{delta * 100:+.1f}"


def _meta(evaluation: dict) -> str:
    return _("Period {period}, evaluated as of {day} (evaluation {id}); generated {now}").format(
        period=evaluation["period"], day=evaluation["as_of"], id=evaluation["id"],
        now=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))


# --- each report: its tables (for CSV and Excel) and its HTML -------------------------------------


def units_tables(data: dict) -> list[tuple[str, list[str], list[list[Any]]]]:
    headers = [_("Unit code"), _("Unit"), _("Cadres"), _("Compliant"), _("On track"), _("At risk"),
               _("Non-compliant"), _("Exempt"), _("Completion rate"), _("Change (points)"), _("Hours per cadre")]
    rows = [[u["code"], u["name"], u["cadres"], u["compliant"], u["on_track"], u["at_risk"], u["non_compliant"],
             u["exempt"], _percent(u["completion_rate"]), _change(u["change"]), u["hours_per_cadre"]]
            for u in data["units"]]
    return [(_("Units"), headers, rows)]


def flagged_tables(data: dict) -> list[tuple[str, list[str], list[list[Any]]]]:
    headers = [_("Unit"), _("Cadre ID"), _("Name"), _("Status"), _("Hours"), _("Flag"), _("Evidence")]
    rows = [[unit["name"], c["cadre_id"], c["name"], status_label(c["status"]), c["hours"], flag_label(f["kind"]),
             explain(f["kind"], f["evidence"])] for unit in data["units"] for c in unit["cadres"] for f in c["flags"]]
    return [(_("Flagged cadres"), headers, rows)]


def cadre_tables(data: dict) -> list[tuple[str, list[str], list[list[Any]]]]:
    result = data["result"]
    attributes = [[_("Cadre ID"), result["cadre_id"]], [_("Name"), result["name"]], [_("Unit"), result["unit_name"]],
                  [_("Status"), status_label(result["status"])],
                  [_("Hours online"), result["hours_online"]], [_("Hours offline"), result["hours_offline"]],
                  [_("Hours required"), result["required_hours"] or "-"]]
    attributes += [[key, value] for key, value in sorted(data["profile"].items())]
    flags = [[flag_label(f["kind"]), explain(f["kind"], f["evidence"]), f["rule"]] for f in data["flags"]]
    return [(_("Training file"), [_("What"), _("Value")], attributes),
            (_("Requirements not met"), [_("Flag"), _("Evidence"), _("Rule")], flags),
            (_("Credits ledger"), ledger_headers(), ledger_rows(data["entries"]))]


def ledger_headers() -> list[str]:
    return [_("No."), _("Period"), _("Source"), _("Kind"), _("Hours"), _("Online"), _("Earned"), _("Reason")]


def ledger_rows(entries: list[dict]) -> list[list[Any]]:
    return [[e["id"], e["period"], e["source"], e["kind"], f"{e['hours']:+.2f}", _("yes") if e["online"] else _("no"),
             datetime.fromtimestamp(e["earned_at"], UTC).strftime("%Y-%m-%d"), e["reason"] or ""]
            for e in entries]


def html(kind: str, data: dict) -> str:
    env = _environment()
    common = {"lang": current_language().replace("_", "-"), "meta": _meta(data["evaluation"])}
    if kind == "units":
        _title, headers, rows = units_tables(data)[0]
        chart = bar_chart([(u["name"], u["completion_rate"]) for u in data["units"]])
        return env.get_template("units.html.j2").render(title=_("Unit completion rates"), headers=headers,
                                                        rows=rows, chart=chart, **common)
    if kind == "flagged":
        units = [{**unit, "cadres": [{**c, "status_label": status_label(c["status"]),
                                      "flags": [{"label": flag_label(f["kind"]), "text": explain(f["kind"], f["evidence"])}
                                                for f in c["flags"]]} for c in unit["cadres"]]}
                 for unit in data["units"]]
        labels = {"cadre_id": _("Cadre ID"), "name": _("Name"), "status": _("Status"), "hours": _("Hours"),
                  "flags": _("What is missing"), "none": _("No flagged cadres.")}
        return env.get_template("flagged.html.j2").render(title=_("Flagged cadres"), units=units, labels=labels,
                                                          **common)
    tables = cadre_tables(data)
    labels = {"attributes": tables[0][0], "requirements": tables[1][0], "ledger": tables[2][0], "flag": _("Flag"),
              "evidence": _("Evidence"), "rule": _("Rule"), "all_met": _("Every requirement is met or on track.")}
    flags = [{"label": r[0], "text": r[1], "rule": r[2]} for r in tables[1][2]]
    return env.get_template("cadre.html.j2").render(
        title=_("Training file of {name} ({cadre})").format(name=data["result"]["name"],
                                                           cadre=data["result"]["cadre_id"]),
        attributes=tables[0][2], flags=flags, ledger_headers=tables[2][1], ledger=tables[2][2], labels=labels,
        **common)


def csv_bytes(tables) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for index, (title, headers, rows) in enumerate(tables):
        if len(tables) > 1:
            if index:
                writer.writerow([])
            writer.writerow([title])
        writer.writerow(headers)
        writer.writerows([[safe_cell(cell) for cell in row] for row in rows])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM: spreadsheet programs then read Chinese right


def xlsx(tables, path: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    bold = book.add_format({"bold": True, "bg_color": "#F2F4F7", "border": 1})
    for title, headers, rows in tables:
        sheet = book.add_worksheet(title[:31])
        sheet.write_row(0, 0, headers, bold)
        for n, row in enumerate(rows, start=1):
            sheet.write_row(n, 0, [safe_cell(cell) for cell in row])
        for column, header in enumerate(headers):
            longest = max([len(str(header))] + [len(str(row[column])) for row in rows if column < len(row)])
            sheet.set_column(column, column, min(60, max(8, longest * 1.2 + 2)))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(1, len(rows)), max(0, len(headers) - 1))
    book.close()


def json_bytes(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()

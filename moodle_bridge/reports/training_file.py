"""The training file (干部教育培训档案): one printable A4 document per cadre, in the department's layout.

The cadre's particulars; this period's requirements and where each stands; every course and offline training of the
period with its hours, grade and date; a multi-year window year by year; exemptions and make-up; the flags with their
evidence and remedy; a sign-off block. As HTML (one file for one cadre or a whole unit, each cadre on a new page), as
tables for CSV and Excel, and as PDF through ``pdf.py``. Everything is named, never coded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel

from ..i18n import N_, _, current_language, local_time, translated
from ..results import CadreFile
from ..rules.kinds.makeup import MakeUp
from .export import Sheet, Shown
from .names import (
    course_marks,
    grade_text,
    group_label,
    hours_text,
    requirement_group,
    requirement_name,
    source_detail,
    source_name,
    source_type,
    standing_label,
    value_label,
)
from .plain import entry_kind_label, explain, flag_label, remedy, status_label

EXEMPTION_EFFECTS = {"full": N_("full exemption"), "prorate": N_("pro-rated requirement")}


@dataclass(frozen=True)
class Row:
    cells: list[str]
    css: str = ""  # a status's class, for its colour
    notes: list[str] = field(default_factory=list)  # lines under the first text cell (a course list's courses)


@dataclass(frozen=True)
class Group:
    label: str
    rows: list[Row]


@dataclass(frozen=True)
class Window:
    title: str
    rows: list[Row]
    total: Row


@dataclass(frozen=True)
class FileView:
    """One training file in words: what the template lays out and the spreadsheet tables hold."""

    title: str
    name: str
    unit: str
    particulars: list[tuple[str, str]]
    requirements: list[Group]
    standing: str  # the period's hours in one sentence
    credits: list[Row]
    credits_total: Row
    windows: list[Window] = field(default_factory=list)
    exemptions: list[Row] = field(default_factory=list)
    makeup: list[str] = field(default_factory=list)
    flags: list[Row] = field(default_factory=list)
    meta: str = ""
    units: list[Row] = field(default_factory=list)  # the units they belonged to, when they moved


def required_text(file: CadreFile) -> str:
    """The hours the period requires; a cadre judged over a multi-year window (county leaders) has the window's."""
    if file.result.required_hours is not None:
        return hours_text(file.result.required_hours)
    if file.windows:
        return "; ".join(_("{hours} in {first}-{last}").format(hours=hours_text(w.required), first=w.first,
                                                                 last=w.last) for w in file.windows)
    return "-"


def _particulars(file: CadreFile) -> list[tuple[str, str]]:
    result, rules = file.result, file.rules
    rows = [(_("Name"), result.name), (_("Cadre ID"), result.cadre_id), (_("Unit"), result.unit_name),
            (_("Cadre rank"), value_label(rules, "rank", file.rank)),
            (_("Cadre category"), value_label(rules, "category", file.category)),
            (_("Requirements that apply"), _(", ").join(group_label(rules, g) for g in result.groups) or "-")]
    if file.joined:
        rows.append((_("Joined"), file.joined.isoformat()))
    if file.promoted:
        rows.append((_("Promoted"), file.promoted.isoformat()))
    rows += [(_("Period"), file.evaluation.period), (_("Status"), status_label(result.status))]
    return rows


def _requirements(file: CadreFile) -> list[Group]:
    groups: list[Group] = []
    for item in file.requirements:
        label = requirement_group(item)
        if not groups or groups[-1].label != label:
            groups.append(Group(label, []))
        nominal = getattr(item.requirement, "hours", None)  # an hours requirement's own figure, before pro-rating
        prorated = [_("pro-rated from {hours} hours").format(hours=hours_text(nominal))] if (
            isinstance(nominal, float | int) and item.required is not None and item.required < nominal - 0.005) else []
        groups[-1].rows.append(Row([requirement_name(item), hours_text(item.required), hours_text(item.achieved),
                                    standing_label(item.status)], f"status-{item.status}" if item.status else "",
                                   course_marks(item) + prorated))
    return groups


def _standing(file: CadreFile) -> str:
    result, required = file.result, required_text(file)
    text = (_("Hours this period: {total} ({online} online, {offline} offline).") if required == "-" else
            _("Hours this period: {total} ({online} online, {offline} offline); required: {required}."))
    return text.format(total=hours_text(result.hours), online=hours_text(result.hours_online),
                       offline=hours_text(result.hours_offline), required=required)


def _credit_day(line_day: str, started: str | None, ended: str | None) -> str:
    if started and ended and started != ended:
        return f"{started}–{ended}"  # an en dash: a narrow column breaks the line after it
    return line_day


def _credits(file: CadreFile) -> tuple[list[Row], Row]:
    lines = file.period_credits
    rows = [Row([str(n), source_name(c.source), c.reason or source_detail(c.source), source_type(c.source, c.online),
                 hours_text(c.hours), grade_text(c.source),
                 _credit_day(c.day.isoformat(), c.source.started.isoformat() if c.source.started else None,
                             c.source.ended.isoformat() if c.source.ended else None)])
            for n, c in enumerate(lines, start=1)]
    total = Row(["", _("Total"), "", "", hours_text(round(sum(c.hours for c in lines), 2)), "", ""])
    return rows, total


def _windows(file: CadreFile) -> list[Window]:
    found = []
    for w in file.windows:
        rows = [Row([year, hours_text(hours)]) for year, hours in w.years]
        found.append(Window(
            _("{hours} hours in the {years} years {first}-{last}: {status}").format(
                hours=hours_text(w.required), years=w.last - w.first + 1, first=w.first, last=w.last,
                status=standing_label(w.status)),
            rows, Row([_("Total"), _("{achieved} of {required}").format(achieved=hours_text(w.achieved),
                                                                       required=hours_text(w.required))])))
    return found


def _makeup(file: CadreFile) -> list[str]:
    """The make-up that applies this period: after a shortfall last period, or after a promotion."""
    lines = []
    for item in file.requirements:
        if not isinstance(item.requirement, MakeUp) or item.status in ("not_applicable", "exempt", "suspended"):
            continue
        if item.requirement.after == "shortfall":
            text = _("{hours} hours short in {period}: to be made up by {due}; {standing}.")
        else:
            text = _("Promoted on {promoted}: {hours} hours of post-promotion training by {due}; {standing}.")
        lines.append(text.format(hours=hours_text(item.required), period=int(file.evaluation.period) - 1,
                                 promoted=file.promoted.isoformat() if file.promoted else "-",
                                 due=item.due.isoformat() if item.due else "-", standing=standing_label(item.status)))
    return lines


def _units(file: CadreFile) -> list[Row]:
    """The units the cadre belonged to, when there was more than one: unit, from, to (a first unit with no known
    start reads "-", the present unit's end "now")."""
    if len(file.units) < 2:
        return []
    return [Row([spell.name, spell.start.isoformat() if spell.start else "-",
                 spell.end.isoformat() if spell.end else _("now")]) for spell in file.units]


def _meta(file: CadreFile) -> str:
    e = file.evaluation
    return _("Period {period}, evaluated as of {day} (evaluation {id}); generated {now}").format(
        period=e.period, day=e.as_of, id=e.id, now=local_time(datetime.now(UTC)))


def view(file: CadreFile) -> FileView:
    credits, total = _credits(file)
    return FileView(
        title=_("Training file"), name=file.result.name, unit=file.result.unit_name, particulars=_particulars(file),
        requirements=_requirements(file),
        standing=_standing(file), credits=credits, credits_total=total, windows=_windows(file),
        exemptions=[Row([translated(EXEMPTION_EFFECTS.get(x.effect, x.effect)), x.reason, x.start.isoformat(),
                         x.end.isoformat()]) for x in file.exemptions],
        makeup=_makeup(file), units=_units(file),
        flags=[Row([flag_label(f.kind), explain(f.kind, f.evidence), remedy(f.kind, f.evidence) or ""])
               for f in file.flags],
        meta=_meta(file))


def headers() -> dict[str, list[str]]:
    """The column headers of each table of the file."""
    return {"requirements": [_("Group"), _("Requirement"), _("Hours required"), _("Hours achieved"), _("Standing")],
            "credits": [_("No."), _("Course or training"), _("Short name or organiser"), _("Type"), _("Hours"),
                        _("Grade"), _("Date")],
            "window": [_("Year"), _("Hours")],
            "exemptions": [_("Exemption"), _("Reason"), _("From"), _("To")],
            "units": [_("Unit"), _("From"), _("To")],
            "flags": [_("Flag"), _("Evidence"), _("What would fix it")],
            "ledger": [_("No."), _("Period"), _("Source"), _("Entry"), _("Hours"), _("Online"), _("Earned"),
                       _("Reason")]}


def ledger_rows(file: CadreFile) -> list[list[object]]:
    """Every ledger entry (reversals too), its source named: the audit trail behind the file's hours."""
    zone = ZoneInfo(file.timezone)
    return [[e.id, e.period, source_name(file.sources[e.source]) if e.source in file.sources else _("another source"),
             entry_kind_label(e.kind), Shown(e.hours, f"{e.hours:+.2f}", "+0.00;-0.00;0.00"),
             _("yes") if e.online else _("no"), datetime.fromtimestamp(e.earned_at, zone).date().isoformat(),
             e.reason or ""] for e in file.entries]


def sheets(file: CadreFile) -> list[Sheet]:
    """The file as tables for CSV and Excel (numbers stay numbers where a table holds them)."""
    shown, head = view(file), headers()
    period_lines = file.period_credits
    sheets = [Sheet(_("Training file"), [_("What"), _("Value")], [list(p) for p in shown.particulars]),
              *([Sheet(_("Units"), head["units"], [r.cells for r in shown.units])] if shown.units else []),
              Sheet(_("Requirements"), head["requirements"],
                    [[requirement_group(item), "; ".join([requirement_name(item), *course_marks(item)]),
                      item.required, item.achieved, standing_label(item.status)] for item in file.requirements]),
              Sheet(_("Courses and training"), head["credits"],
                    [[n, *row.cells[1:4], line.hours, line.source.grade, row.cells[6]]
                     for n, (row, line) in enumerate(zip(shown.credits, period_lines, strict=True), start=1)])]
    sheets += [Sheet(_("Window"), head["window"], [[year, hours] for year, hours in w.years]) for w in file.windows]
    sheets += [Sheet(_("Flags"), head["flags"], [r.cells for r in shown.flags]),
               Sheet(_("Credits ledger"), head["ledger"], ledger_rows(file))]
    return sheets


def _json_ready(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # The rules' models in their YAML shape; the whole rules file is left out (the evaluation names its hash).
    return {key: value.model_dump(mode="json", by_alias=True, exclude_none=True) if isinstance(value, BaseModel)
            else value for key, value in pairs if key != "rules"}


def plain(data: CadreFile | list[CadreFile]) -> Any:
    """The file (or files) as data for programs (JSON): the read model's answer, codes and all."""
    if isinstance(data, list):
        return [plain(item) for item in data]
    return asdict(data, dict_factory=_json_ready)


def _environment() -> Environment:
    return Environment(loader=PackageLoader("moodle_bridge.reports", "templates"),
                       autoescape=select_autoescape(["html", "j2"]), keep_trailing_newline=True)


@cache
def stylesheet() -> str:
    """The file's CSS (A4 pages, page numbers, a new page per cadre)."""
    return resources.files(__package__).joinpath("templates", "training_file.css").read_text(encoding="utf-8")


def html(files: list[CadreFile], stylesheet_href: str | None = None) -> str:
    """One HTML document of the files, each starting on a new page; its CSS inline, or linked at ``stylesheet_href``
    (a page whose content security policy allows no inline style)."""
    words = {"particulars": _("Particulars"), "units": _("Units, with the day they joined each"),
             "requirements": _("Requirements and standing this period"),
             "credits": _("Courses and training this period"), "window": _("Multi-year window, year by year"),
             "exemptions": _("Exemptions and make-up"), "no_exemption": _("No exemption this period."),
             "no_makeup": _("No make-up owed."), "flags": _("Flags"),
             "no_flags": _("No flag: every requirement is met or on track."), "none": _("None this period."),
             "prepared": _("Prepared by:"), "reviewed": _("Reviewed by:"), "date": _("Date:")}
    title = _("Training file") if len(files) != 1 else _("Training file of {name}").format(name=files[0].result.name)
    return _environment().get_template("training_file.html.j2").render(
        lang=current_language().replace("_", "-"), title=title, files=[view(f) for f in files], words=words,
        headers=headers(), stylesheet_href=stylesheet_href, stylesheet="" if stylesheet_href else stylesheet())

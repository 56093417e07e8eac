"""The promotion check in words (提拔任职前培训情况核查): one row a candidate, with their name, unit and rank, whether
they meet the training requirements, why not in plain words, and the make-up they owe; as a table for CSV and Excel
(numbers stay numbers), as HTML and PDF for the personnel file, and as the rows the terminal and the review page show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from jinja2 import Environment, PackageLoader, select_autoescape

from ..i18n import N_, _, current_language, local_time, translated
from ..results.answers import RequirementStanding
from ..results.promotion import CandidateAnswer, MakeUpAnswer, PeriodAnswer, PromotionCheck
from ..rules.kinds.required_courses import CourseList
from ..rules.promotion import CheckedPeriod
from .export import Sheet
from .names import hours_text, requirement_name, standing_label, value_label
from .plain import explain, flag_label, status_label

VERDICTS = {"meets": N_("yes"), "does_not_meet": N_("no"), "unknown": N_("cannot tell")}


def title() -> str:
    return _("Training check before a promotion")


def verdict_label(verdict: str) -> str:
    return translated(VERDICTS.get(verdict, verdict))


def period_name(checked: CheckedPeriod) -> str:
    """A period as a column or a sentence names it: "2025", or "2026 (so far)" for the period in progress."""
    return _("{period} (so far)").format(period=checked.label) if checked.current else checked.label


def _requirement_text(item: RequirementStanding) -> list[str]:
    """What a requirement not met lacks: its flags' evidence, else its figures (hours) or its courses not done."""
    if item.flags:
        return [_("{flag}: {evidence}").format(flag=flag_label(f.kind), evidence=explain(f.kind, f.evidence))
                for f in item.flags]
    if item.required is not None and item.achieved is not None:
        return [_("{requirement}: {achieved} of {required} hours").format(
            requirement=requirement_name(item), achieved=hours_text(item.achieved), required=hours_text(item.required))]
    if isinstance(item.requirement, CourseList) and item.courses:
        missing = [c for c in item.courses if c not in item.done]
        return [_("{requirement}: not done: {courses}").format(requirement=requirement_name(item),
                                                              courses=_(", ").join(missing))]
    return [requirement_name(item)]


def _period_reasons(answer: PeriodAnswer) -> list[str]:
    """Why a period is not met or cannot be told, and what to watch there, one sentence each."""
    checked, label = answer.checked, answer.checked.label
    if answer.evaluation is None:
        return [_("{period}: the period has not been evaluated.").format(period=label)]
    if answer.file is None:
        return [_("{period}: not in the period's evaluation (not a cadre then, or not yet synced).").format(
            period=label)]
    if answer.status == "suspended":
        return [_("{period}: the Moodle account is suspended: not judged.").format(period=label)]
    if answer.status == "exempt":
        reasons = _(", ").join(e.reason for e in answer.exemptions)
        return [_("{period}: exempt ({reason}).").format(period=label, reason=reasons) if reasons else
                _("{period}: exempt.").format(period=label)]
    missed = (_("{period} so far: {text}") if checked.current else _("{period}: {text}"))
    watch = (_("{period} so far, to watch: {text}") if checked.current else _("{period}, to watch: {text}"))
    lines = [missed.format(period=label, text=text) for r in answer.missed for text in _requirement_text(r.standing)]
    if answer.short_missed:
        lines.append(missed.format(period=label, text=_("{hours} hours short of the period's minimum").format(
            hours=hours_text(answer.short))))
    if answer.verdict == "unknown" and not checked.current:
        lines.append(_("{period}: evaluated as of {day}, before the period ended on {last}: evaluate {period} as of "
                       "its last day to tell.").format(period=label, day=answer.evaluation.as_of.isoformat(),
                                                       last=checked.last_day.isoformat()))
    lines += [watch.format(period=label, text=text) for r in answer.watch for text in _requirement_text(r.standing)]
    return lines


def reasons(answer: CandidateAnswer) -> list[str]:
    """Why the candidate does not meet the requirements, or why it cannot be told, and what to watch; the name the
    list gives when it is not the cadre's."""
    if not answer.found:
        return [_("Not found: no cadre has this id in the data read from Moodle or in the evaluations; check the id.")]
    lines = []
    if answer.name_matches is False:
        lines.append(_("The list names “{given}”; the cadre with this id is “{name}”.").format(
            given=answer.candidate.name, name=answer.name))
    for period in answer.periods:
        lines += _period_reasons(period)
    return lines


def makeup_text(makeup: MakeUpAnswer) -> str:
    """The make-up a shortfall owes: how many hours short, by when, and (when the next period is evaluated) how many
    were made up."""
    due = makeup.due.isoformat() if makeup.due else "-"
    if makeup.achieved is None:
        return _("{hours} hours short in {period}: to be made up by {due}.").format(
            hours=hours_text(makeup.hours), period=makeup.period, due=due)
    return _("{hours} hours short in {period}: to be made up by {due}; {achieved} made up ({standing}).").format(
        hours=hours_text(makeup.hours), period=makeup.period, due=due, achieved=hours_text(makeup.achieved),
        standing=standing_label(makeup.status))


@dataclass(frozen=True)
class PeriodCell:
    """A candidate's standing in one period: its status in words, the hours and those required."""

    status: str
    hours: float | None = None
    required: float | None = None
    css: str = ""

    @property
    def text(self) -> str:
        if self.hours is None:
            return self.status
        return f"{self.status} ({hours_text(self.hours)} / {hours_text(self.required)})"


@dataclass(frozen=True)
class Row:
    """One candidate in words."""

    number: int
    cadre_id: str
    name: str
    unit: str
    rank: str
    verdict: str  # meets, does_not_meet, unknown
    periods: list[PeriodCell]
    reasons: list[str]
    makeup: list[str] = field(default_factory=list)
    makeup_owed: float | None = None  # the hours still owed (every period's), None: none owed
    makeup_due: date | None = None  # the earliest due day
    found: bool = True  # a cadre the store knows (a candidate not found is named as the list gave them)

    @property
    def verdict_label(self) -> str:
        return verdict_label(self.verdict)


def _cell(answer: PeriodAnswer) -> PeriodCell:
    if answer.evaluation is None:
        return PeriodCell(_("not evaluated"))
    if answer.file is None:
        return PeriodCell(_("not in the evaluation"))
    result = answer.file.result
    return PeriodCell(status_label(result.status), round(result.hours, 2), result.required_hours,
                      f"status-{result.status}")


def row(number: int, answer: CandidateAnswer, periods: int) -> Row:
    """A candidate in words (``periods``: how many periods the check reads: a candidate not found has a cell each)."""
    owed = [m for m in answer.makeup if m.owed > 0]
    cells = [_cell(p) for p in answer.periods] if answer.found else [PeriodCell("-")] * periods
    return Row(number, answer.cadre_id, answer.name or answer.candidate.name or "-", answer.unit_name or "-",
               value_label(answer.rules, "rank", answer.rank), answer.verdict if answer.found else "unknown",
               cells, reasons(answer), [makeup_text(m) for m in answer.makeup],
               round(sum(m.owed for m in owed), 2) if owed else None,
               min((m.due for m in owed if m.due), default=None), answer.found)


def rows(check: PromotionCheck) -> list[Row]:
    return [row(n, answer, len(check.periods)) for n, answer in enumerate(check.candidates, start=1)]


def headers(check: PromotionCheck) -> list[str]:
    """The columns of the table staff read (a period's status with its hours in one cell)."""
    return [_("No."), _("Cadre ID"), _("Name"), _("Unit"), _("Cadre rank"),
            *(period_name(p) for p in check.periods), _("Meets the training requirements"),
            _("Why not, or what to watch"), _("Make-up owed")]


def checked_text(check: PromotionCheck) -> str:
    """Which periods were checked and by which evaluation each."""
    parts = []
    for p in check.periods:
        found = check.evaluations.get(p.label)
        parts.append(_("{period}: evaluation {id} as of {day}").format(period=period_name(p), id=found.id,
                                                                     day=found.as_of.isoformat())
                     if found else _("{period}: not evaluated").format(period=period_name(p)))
    return _("Checked on {today}; {periods}").format(today=check.today.isoformat(), periods=_("; ").join(parts))


def sheet(check: PromotionCheck) -> Sheet:
    """The table for CSV and Excel: each period's status, hours and hours required in columns of their own (numbers
    as numbers), the verdict, why not, the make-up hours owed (a number) and its due day (a date)."""
    period_columns = [h for p in check.periods for h in (
        _("{period}: status").format(period=period_name(p)), _("{period}: hours").format(period=period_name(p)),
        _("{period}: hours required").format(period=period_name(p)))]
    head = [_("No."), _("Cadre ID"), _("Name"), _("Unit"), _("Cadre rank"), *period_columns,
            _("Meets the training requirements"), _("Why not, or what to watch"), _("Make-up owed (hours)"),
            _("Make-up due"), _("Make-up")]
    def text(value: str) -> str:
        return "" if value == "-" else value  # nothing known: an empty cell (a "-" would be guarded as a formula)

    body = [[r.number, r.cadre_id, text(r.name), text(r.unit), text(r.rank),
             *(v for c in r.periods for v in (text(c.status), c.hours if c.hours is not None else "",
                                              c.required if c.required is not None else "")),
             r.verdict_label, "\n".join(r.reasons), r.makeup_owed if r.makeup_owed is not None else "",
             r.makeup_due or "", "\n".join(r.makeup)] for r in rows(check)]
    return Sheet(title(), head, body, caption=f"{title()} ({checked_text(check)})")


def _environment() -> Environment:
    return Environment(loader=PackageLoader("moodle_bridge.reports", "templates"),
                       autoescape=select_autoescape(["html", "j2"]), keep_trailing_newline=True)


def counts(check: PromotionCheck) -> dict[str, int]:
    """Candidates by verdict (a not-found candidate cannot be told)."""
    found = dict.fromkeys(VERDICTS, 0)
    for answer in check.candidates:
        found[answer.verdict if answer.found else "unknown"] += 1
    return found


def summary_text(check: PromotionCheck) -> str:
    count = counts(check)
    return _("{n} candidates: {meets} meet the training requirements, {not_met} do not, {unknown} cannot be "
             "told.").format(n=len(check.candidates), meets=count["meets"], not_met=count["does_not_meet"],
                             unknown=count["unknown"])


def html(check: PromotionCheck) -> str:
    """One HTML document (A4 landscape) for the personnel file, its CSS inline: the PDF's source too."""
    meta = _("{checked}; generated {now}").format(checked=checked_text(check), now=local_time(datetime.now(UTC)))
    labels = {"summary": summary_text(check), "none": _("No candidate."), "prepared": _("Prepared by:"),
              "reviewed": _("Reviewed by:"), "date": _("Date:")}
    return _environment().get_template("promotion.html.j2").render(
        lang=current_language().replace("_", "-"), title=title(), meta=meta, headers=headers(check),
        rows=rows(check), labels=labels)

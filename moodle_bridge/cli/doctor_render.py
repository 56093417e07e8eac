"""Show a doctor report as tables a site administrator can read."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..doctor import DoctorReport
from ..i18n import _

_MARK = {"ok": "[green]OK[/]", "warn": "[yellow]WARN[/]", "fail": "[red]FAIL[/]"}


def render_report(report: DoctorReport, console: Console | None = None) -> None:
    console = console or Console()
    if report.site:
        site = Table(title=_("Moodle site"), show_header=False)
        site.add_row(_("Site"), report.site["sitename"])
        site.add_row(_("URL"), report.site["url"])
        site.add_row(_("Release"), f"{report.site['release']} ({report.site['version']})")
        site.add_row(_("Token user"), f"{report.site['token_user']} (id {report.site['token_user_id']})")
        console.print(site)

    if report.functions:
        functions = Table(title=_("Web-service functions"))
        functions.add_column(_("Function"))
        functions.add_column(_("Enabled"))
        functions.add_column(_("Needed for"))
        for f in report.functions:
            if f.present:
                mark = _MARK["ok"]
            else:
                mark = _MARK["warn"] if f.optional else _MARK["fail"]
            needed_for = f.needed_for if f.present else _("missing: disables {what}").format(what=f.needed_for)
            functions.add_row(f.name, mark, needed_for)
        console.print(functions)

    checks = Table(title=_("Checks"))
    checks.add_column(_("Check"))
    checks.add_column(_("Result"))
    checks.add_column(_("Detail"), overflow="fold")
    for check in report.checks:
        checks.add_row(check.name, _MARK[check.status], check.detail)
    console.print(checks)

    if report.completion_road:
        roads = {
            "report": _("the completions report (fastest)"),
            "batch": _("batched completion calls"),
            "per_enrolment": _("one call per enrolment (slowest)"),
        }
        console.print(_("Completions will be read through: {road}").format(road=roads[report.completion_road]))
    if report.ready:
        console.print("[bold green]" + _("Ready.") + "[/]")
    else:
        console.print("[bold red]" + _("Not ready: fix the items marked FAIL.") + "[/]")

"""Show a sync's summary and the mirror's status to an administrator."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ..i18n import N_, _, local_time, translated
from ..sync import RunSummary, summary_lines
from ..sync.entities import LABELS

# Words stored in runs, shown translated.
WORDS = [N_("full"), N_("incremental"), N_("running"), N_("succeeded"), N_("failed"), N_("interrupted")]

ENTITY_LABELS = LABELS  # the entity table's words (sync/entities), shown translated
ROAD_LABELS = {"report": N_("the completions report"), "batch": N_("batched calls"),
               "per_enrolment": N_("one call per enrolment")}


REJECTED_SHOWN = 20


def render_unseen(summary: RunSummary, console: Console) -> None:
    """What the configured road cannot read, with the number and what to configure instead."""
    if summary.unseen.get("completions"):
        console.print("[yellow]" + _(
            "Course completions of {count} enrolments that are suspended, ended or not yet started cannot be "
            "read on this road (Moodle answers only for active enrolments); what the mirror knew of them is "
            "kept. Set moodle.completions_report_id to a completions report to read them (README, Preparing "
            "Moodle, step 9).").format(count=summary.unseen["completions"]) + "[/]")
    if summary.unseen.get("grades"):
        console.print("[yellow]" + _(
            "Final grades of {count} enrolments that are suspended, ended or not yet started cannot be read "
            "through the grade report; add the Grade column to the completions report to read them.").format(
            count=summary.unseen["grades"]) + "[/]")


def render_summary(summary: RunSummary, console: Console | None = None) -> None:
    console = console or Console()
    if summary.errors and not summary.counts:  # nothing was read: the reason is all there is to say
        for error in summary.errors:
            console.print("[red]" + _("Sync failed: {error}").format(error=error) + "[/]", highlight=False,
                          soft_wrap=True)
        return
    title = _("Sync run {id} ({kind}, completions read through: {road})").format(
        id=summary.run_id if summary.run_id is not None else _("dry run"), kind=translated(summary.kind),
        road=translated(ROAD_LABELS[summary.road]) if summary.road in ROAD_LABELS else summary.road)
    table = Table(title=title)
    for header in (_("What"), _("New"), _("Changed"), _("Gone"), _("Unchanged")):
        table.add_column(header, justify="left" if header == _("What") else "right")
    for entity, counts in summary_lines(summary):
        table.add_row(translated(ENTITY_LABELS[entity]),
                      *(str(counts.get(k, 0)) for k in ("added", "changed", "gone", "unchanged")))
    console.print(table)
    oddities = {k: v for k, v in summary.oddities.items() if v}
    if oddities:
        odd = Table(title=_("Unusual data (synced as it is)"))
        odd.add_column(_("What"))
        odd.add_column(_("How many"), justify="right")
        for name, count in sorted(oddities.items()):
            odd.add_row(translated(name), str(count))
        console.print(odd)
    render_unseen(summary, console)
    if summary.rejected:
        console.print(_("Rows left out ({count}); what Moodle had before is kept for them:").format(
            count=len(summary.rejected)))
        for line in summary.rejected[:REJECTED_SHOWN]:
            console.print("  " + line, markup=False, highlight=False)
        if len(summary.rejected) > REJECTED_SHOWN:
            console.print("  " + _("... and {more} more (all are in the log)").format(
                more=len(summary.rejected) - REJECTED_SHOWN))
    console.print(_("{requests} requests to Moodle in {seconds:.1f} s.").format(
        requests=summary.requests, seconds=summary.seconds))
    if summary.dry_run:
        console.print(_("Dry run: nothing was written."))
    for error in summary.errors:
        console.print("[red]" + _("Failed: {error}").format(error=error) + "[/]")


def render_status(report: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=_("The mirror"))
    for header in (_("What"), _("Present"), _("Gone")):
        table.add_column(header)
    for name, counts in report["counts"].items():
        table.add_row(translated(ENTITY_LABELS[name]), str(counts["present"]), str(counts["gone"]))
    console.print(table)
    last = report["last_run"]
    if last is None:
        console.print(_("No sync has run yet."))
        return
    console.print(_("Last sync: run {id}, {kind}, {status}, started {started}, finished {finished}.").format(
        id=last["id"], kind=translated(last["kind"]), status=translated(last["status"]),
        started=local_time(last["started_at"]), finished=local_time(last["finished_at"])))
    changes = Table(title=_("What the last sync changed"))
    for header in (_("What"), _("New"), _("Changed"), _("Gone")):
        changes.add_column(header)
    for entity, counts in (last["counts"] or {}).items():
        changes.add_row(translated(ENTITY_LABELS.get(entity, entity)),
                        *(str(counts.get(k, 0)) for k in ("added", "changed", "gone")))
    console.print(changes)
    if last["error"]:
        console.print("[red]" + last["error"] + "[/]")

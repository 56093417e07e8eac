"""`moodle-bridge demo`: the whole job end to end against a simulated county, in one command."""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from rich.console import Console

from ..i18n import _
from .context import Context
from .root import main

EXAMPLE_RULES = Path(__file__).resolve().parent.parent / "templates" / "rules.example.yaml"


DEMO_FIGURES = {"{kind: min_hours, hours: 90}": "{kind: min_hours, hours: 40}",
                "{kind: min_online_hours, hours: 50}": "{kind: min_online_hours, hours: 20}",
                'due: "2026-06-30"': 'due: "2026-12-31"'}


def _demo_rules(path: Path) -> None:
    """The example rules with lower hours: simulated cadres take about 8 courses of 2 to 12 hours,
    far from the national 90; lower figures show every status in the reports."""
    text = EXAMPLE_RULES.read_text(encoding="utf-8")
    for national, demo in DEMO_FIGURES.items():
        text = text.replace(national, demo)
    header = ("# DEMO RULES, written by `moodle-bridge demo`: config/rules.example.yaml with lower figures\n"
              "# (40 hours a year, 20 online, the required course due 31 December) so that the simulated\n"
              "# county, whose cadres take about 8 short courses, shows every status. Not for real use.\n")
    path.write_text(header + text, encoding="utf-8")


def _offline_training(site, path: Path) -> int:
    """A realistic offline-training file for about a tenth of the cadres (deterministic)."""
    from ..rules.imports import template_header

    rng = random.Random(7)
    cadres = sorted(u.idnumber for u in site.users.values() if u.idnumber.startswith("CD") and not u.deleted)
    rows = []
    for cadre_id in rng.sample(cadres, max(1, len(cadres) // 3)):
        start = date(2026, rng.randrange(3, 11), rng.randrange(1, 25))
        days = rng.choice([2, 3, 5, 10])
        leave = rng.choice([0, 0, 0, 2, 12])
        rows.append([cadre_id, rng.choice(["County Party School spring course", "Rural revitalisation seminar",
                                           "Emergency management drill"]), "County Party School",
                     start.isoformat(), (start + timedelta(days=days - 1)).isoformat(), days, "", leave, "party school",
                     f"PS-{len(rows) + 1:04d}"])
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(template_header("en"))
        writer.writerows(rows)
    return len(rows)


@main.command()
@click.option("--size", type=click.Choice(["small", "county"]), default="small",
              help="small: 300 cadres, 24 courses; county: 5,600 cadres, 110 courses.")
@click.option("--output", "folder", type=click.Path(path_type=Path, file_okay=False), default="demo-output")
@click.pass_obj
def demo(obj: Context, size: str, folder: Path) -> None:
    """Run everything against a simulated county Moodle on 127.0.0.1 and write the results."""
    from ..config import Settings
    from ..rules.imports import parse_offline
    from ..rules.loader import load_rules
    from ..rules.records import store_offline
    from ..rules.run import evaluate
    from ..services.report_files import write_report
    from ..services.wiring import make_client
    from ..simulator.generator import generate
    from ..simulator.server import SimulatedMoodle
    from ..store import connect, upgrade
    from ..sync import Sync, SyncOptions
    from ..sync.progress import for_terminal
    from .sync_render import render_summary

    console = Console()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "store.db").unlink(missing_ok=True)
    console.print(_("Generating a simulated {size} training site...").format(size=size))
    site = generate(size)
    moodle = SimulatedMoodle(site, token="demo-token-not-secret")
    token_file = folder / "token"
    token_file.write_text("demo-token-not-secret\n")
    token_file.chmod(0o600)
    _demo_rules(folder / "rules.yaml")
    offline = folder / "offline_training.csv"
    imported = _offline_training(site, offline)
    with moodle.serve() as url:
        config = folder / "moodle_bridge.toml"
        config.write_text(
            f"# Written by `moodle-bridge demo`: a simulated Moodle on {url} (gone when the demo ends).\n"
            f'[moodle]\nurl = "{url}"\ntoken_file = "{token_file.resolve()}"\ncompletions_report_id = 4\n'
            f'[rules]\nfile = "{(folder / "rules.yaml").resolve()}"\n'
            f'[store]\nurl = "sqlite:///{(folder / "store.db").resolve()}"\n', encoding="utf-8")
        settings = Settings(moodle={"url": url, "token_file": str(token_file.resolve()), "completions_report_id": 4},
                            store={"url": f"sqlite:///{(folder / 'store.db').resolve()}"})
        engine = connect(settings.store.url)
        upgrade(engine)
        console.print(_("Step 1/4: sync from the simulated Moodle at {url}").format(url=url))
        with make_client(settings) as client:
            summary = Sync(settings, client, engine, progress=for_terminal()).run(SyncOptions(full=True))
        render_summary(summary, console)
    console.print(_("Step 2/4: import offline training ({rows} rows)").format(rows=imported))
    store_offline(engine, parse_offline(offline), offline.name)
    today = datetime.fromtimestamp(site.now, ZoneInfo("Asia/Shanghai")).date()
    console.print(_("Step 3/4: evaluate 2026 as of {day} with demo rules (40 hours, 20 online: see {path})").format(
        day=today, path=folder / "rules.yaml"))
    result = evaluate(engine, load_rules(folder / "rules.yaml"), "2026", today)
    console.print(_("Step 4/4: reports, and a dry run of the actions back to Moodle"))
    written = []
    for kind in ("units", "flagged"):
        for fmt in ("html", "csv", "xlsx"):
            written.append(write_report(engine, kind, fmt, folder / f"{kind}.{fmt}"))
    from ..reports.plain import status_label

    example = _first_flagged(engine)
    if example:
        written.append(write_report(engine, "cadre", "html", folder / f"cadre-{example}.html", cadre_id=example))
    written.append(_dry_run_actions(engine, folder / "actions-dry-run.json"))
    engine.dispose()
    console.print()
    console.print(_("Done. Cadres by status: {statuses}; {flags} flags.").format(
        statuses=", ".join(f"{status_label(k)} {n}" for k, n in sorted(result.statuses.items())), flags=result.flags))
    console.print(_("Open these files:"))
    for path in written:
        console.print(f"  {path}")
    console.print(_("The store is {store}; try: moodle-bridge --config {config} flags").format(
        store=folder / "store.db", config=config))


def _first_flagged(engine) -> str | None:
    from sqlalchemy import select

    from ..store.schema import evaluation_flags

    with engine.connect() as connection:
        return connection.execute(select(evaluation_flags.c.cadre_id).order_by(evaluation_flags.c.id)).scalar()


def _dry_run_actions(engine, path: Path) -> Path:
    """What enrol-required and notify would do, written down; nothing is sent (a dry run)."""
    import json

    from ..actions import enrol, notify

    enrolments = enrol.apply(engine, None, enrol.plan(engine), dry_run=True)
    messages = notify.plan(engine, 7)
    notify.apply(engine, None, messages, dry_run=True)
    path.write_text(json.dumps({
        "enrol_required": [{k: o[k] for k in ("cadre_id", "target", "status", "detail")} for o in enrolments],
        "notify": [{"cadre_id": m["cadre_id"], "text": m["text"]} for m in messages[:20]],
        "notify_total": len(messages)}, ensure_ascii=False, indent=2), encoding="utf-8")
    return path

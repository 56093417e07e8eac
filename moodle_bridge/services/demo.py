"""The demo: a simulated county Moodle, demo rules and an offline-training file, for the pipeline's own steps.

Nothing here judges or reports: the demo runs the pipeline's steps (``services.pipeline``) against what it prepares.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from .. import results
from ..config import MoodleSettings, RulesSettings, Settings, StoreSettings
from ..i18n import _
from ..reports import export
from ..simulator.data import Site
from ..simulator.generator import generate
from ..simulator.server import SimulatedMoodle
from . import pipeline

if TYPE_CHECKING:
    from ..sync import RunSummary
    from ..sync.progress import Progress

EXAMPLE_RULES = Path(__file__).resolve().parent.parent / "templates" / "rules.example.yaml"
DEMO_TOKEN = "demo-token-not-secret"
DEMO_ZONE = "Asia/Shanghai"

DEMO_FIGURES = {"{kind: min_hours, hours: 90}": "{kind: min_hours, hours: 40}",
                "{kind: min_online_hours, hours: 50}": "{kind: min_online_hours, hours: 20}",
                'due: "2026-06-30"': 'due: "2026-12-31"'}


def write_demo_rules(path: Path) -> None:
    """The example rules with lower hours: simulated cadres take about 8 courses of 2 to 12 hours,
    far from the national 90; lower figures show every status in the reports."""
    text = EXAMPLE_RULES.read_text(encoding="utf-8")
    for national, demo in DEMO_FIGURES.items():
        text = text.replace(national, demo)
    header = ("# DEMO RULES, written by `moodle-bridge demo`: config/rules.example.yaml with lower figures\n"
              "# (40 hours a year, 20 online, the required course due 31 December) so that the simulated\n"
              "# county, whose cadres take about 8 short courses, shows every status. Not for real use.\n")
    path.write_text(header + text, encoding="utf-8")


def write_offline_training(site: Site, path: Path) -> int:
    """A realistic offline-training file for about a third of the cadres (deterministic); the rows written."""
    from ..rules.offline import template_header

    rng = random.Random(7)
    cadres = sorted(u.idnumber for u in site.users.values() if u.idnumber.startswith("CD") and not u.deleted)
    rows: list[list[Any]] = []
    for cadre_id in rng.sample(cadres, max(1, len(cadres) // 3)):
        start = date(2026, rng.randrange(3, 11), rng.randrange(1, 25))
        days = rng.choice([2, 3, 5, 10])
        leave = rng.choice([0, 0, 0, 2, 12])
        rows.append([cadre_id, rng.choice(["County Party School spring course", "Rural revitalisation seminar",
                                           "Emergency management drill"]), "County Party School",
                     start.isoformat(), (start + timedelta(days=days - 1)).isoformat(), days, "", leave, "party school",
                     f"PS-{len(rows) + 1:04d}"])
    export.write_csv([export.Sheet("Offline training", template_header("en"), rows)], path)
    return len(rows)


@dataclass
class DemoSite:
    """A generated site and the files beside it, in ``folder``."""

    folder: Path
    site: Site
    offline_rows: int

    @classmethod
    def prepare(cls, size: str, folder: Path) -> DemoSite:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "store.db").unlink(missing_ok=True)
        site = generate(size)
        token = folder / "token"
        token.write_text(DEMO_TOKEN + "\n")
        token.chmod(0o600)
        write_demo_rules(folder / "rules.yaml")
        return cls(folder, site, write_offline_training(site, folder / "offline_training.csv"))

    @property
    def offline_file(self) -> Path:
        return self.folder / "offline_training.csv"

    @property
    def rules_file(self) -> Path:
        return self.folder / "rules.yaml"

    @property
    def config_file(self) -> Path:
        return self.folder / "moodle_bridge.toml"

    @property
    def today(self) -> date:
        """The simulated site's today, in the demo organisation's zone."""
        return datetime.fromtimestamp(self.site.now, ZoneInfo(DEMO_ZONE)).date()

    def settings(self, url: str) -> Settings:
        return Settings(moodle=MoodleSettings(url=url, token_file=(self.folder / "token").resolve(),
                                              completions_report_id=4),
                        rules=RulesSettings(file=self.rules_file.resolve()),
                        store=StoreSettings(url=f"sqlite:///{(self.folder / 'store.db').resolve()}"))

    @contextmanager
    def serve(self) -> Iterator[Settings]:
        """The simulated Moodle on 127.0.0.1 while the block runs; a config file beside the results to try later."""
        with SimulatedMoodle(self.site, token=DEMO_TOKEN).serve() as url:
            self.config_file.write_text(
                f"# Written by `moodle-bridge demo`: a simulated Moodle on {url} (gone when the demo ends).\n"
                f'[moodle]\nurl = "{url}"\ntoken_file = "{(self.folder / "token").resolve()}"\n'
                f"completions_report_id = 4\n"
                f'[rules]\nfile = "{self.rules_file.resolve()}"\n'
                f'[store]\nurl = "sqlite:///{(self.folder / "store.db").resolve()}"\n', encoding="utf-8")
            yield self.settings(url)


def first_flagged(engine: Engine) -> str | None:
    """A cadre worth showing a training file of: the first flagged one of the latest evaluation."""
    with engine.connect() as connection:
        latest = results.evaluation(connection)
        found = [] if latest is None else results.flags(connection, latest.id)
    return found[0].cadre_id if found else None


def write_dry_run(engine: Engine, path: Path) -> Path:
    """What the pipeline's actions step would do (enrol the required, message the flagged), written down;
    nothing is sent."""
    done = pipeline.act(engine, None, enrol_required=True, notify_flagged=True, dry_run=True)
    texts: dict[str, str] = {}  # one message a cadre, whatever the number of flags it tells of
    for outcome in done["notify"]:
        texts.setdefault(outcome["cadre_id"], outcome["detail"]["text"])
    messages = [{"cadre_id": cadre, "text": text} for cadre, text in texts.items()]
    path.write_text(json.dumps({
        "enrol_required": [{k: o[k] for k in ("cadre_id", "target", "status", "detail")} for o in done["enrol"]],
        "notify": [{"cadre_id": m["cadre_id"], "text": m["text"]} for m in messages[:20]],
        "notify_total": len(messages)}, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: cadres by status and flags of its evaluation, the files to open, the store and config."""

    statuses: dict[str, int]
    flags: int
    written: list[Path]
    store: Path
    config_file: Path


def run_demo(size: str, folder: Path, say: Callable[[str], None] = print, progress: Progress | None = None,
             show_sync: Callable[[RunSummary], None] | None = None) -> DemoResult:
    """Prepare a simulated site in ``folder`` and run the pipeline's own steps against it: sync, evaluate, reports,
    and a dry run of the actions. ``say`` is told each step as it starts; ``progress`` follows the sync and
    ``show_sync`` is shown its summary."""
    from ..store import connect, upgrade
    from .offline import import_offline, parse_offline
    from .report_files import write_report

    say(_("Generating a simulated {size} training site...").format(size=size))
    prepared = DemoSite.prepare(size, folder)
    with prepared.serve() as settings:
        engine = connect(settings.store.url)
        upgrade(engine)
        say(_("Step 1/4: sync from the simulated Moodle at {url}").format(url=settings.moodle.url))
        summary = pipeline.sync_mirror(settings, engine, progress=progress, full=True)
        if show_sync is not None:
            show_sync(summary)
    try:
        say(_("Step 2/4: import offline training ({rows} rows)").format(rows=prepared.offline_rows))
        import_offline(engine, parse_offline(prepared.offline_file), prepared.offline_file.name)
        say(_("Step 3/4: evaluate 2026 as of {day} with demo rules (40 hours, 20 online: see {path})").format(
            day=prepared.today, path=prepared.rules_file))
        result = pipeline.evaluate_rules(settings, engine, prepared.today)
        say(_("Step 4/4: reports, and a dry run of the actions back to Moodle"))
        written = pipeline.write_reports(engine, folder)
        example = first_flagged(engine)
        if example:
            written.append(write_report(engine, "cadre", "html", folder / f"cadre-{example}.html", cadre_id=example))
        written.append(write_dry_run(engine, folder / "actions-dry-run.json"))
    finally:
        engine.dispose()
    return DemoResult(dict(result.statuses), result.flags, written, folder / "store.db", prepared.config_file)

"""The demo: a simulated county Moodle, demo rules and the department's own records, for the pipeline's own steps.

Nothing here judges or reports: the demo runs the pipeline's steps (``services.pipeline``) and the staff's own
imports against what it prepares (``simulator.showcase``: a county where every status and every kind of flag
occurs), and can open the review page on the results.
"""

from __future__ import annotations

import json
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from .. import results
from ..config import FeatureSettings, MoodleSettings, RulesSettings, Settings, StoreSettings
from ..i18n import N_, _, translated
from ..reports import export
from ..reports.cells import rate_cell
from ..rules.rates import completion_rate
from ..simulator.data import Site
from ..simulator.generator import SIZES
from ..simulator.server import SimulatedMoodle
from ..simulator.showcase import READING_CATEGORY, REQUIRED_COURSE, SECOND_COURSE, County, county
from . import pipeline

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from ..rules.offline import OfflineRow
    from ..sync import RunSummary
    from ..sync.progress import Progress
    from .evaluation import EvaluationSummary

EXAMPLE_RULES = Path(__file__).resolve().parent.parent / "templates" / "rules.example.yaml"
DEMO_TOKEN = "demo-token-not-secret"
DEMO_ZONE = "Asia/Shanghai"
DEMO_ACCOUNT = "demo"
PREVIOUS_YEAR_END = date(2025, 12, 31)  # the previous period's year-end evaluation: what it found short is owed
QUARTER_ENDS = ((3, 31), (6, 30), (9, 30))  # evaluated before today's: the completion rate through the year
PREVIOUS_PLATFORM = N_("Online hours on the county's previous learning platform")  # staff's words

# The example rules, changed where the simulated county differs from a real one: its cadres take a few short online
# courses (the national 90 and 50 hours would flag nearly everyone), it has a second required course due in
# December, and its required reading is due mid-December, inside the warning time of the evaluation day.
SECOND_REQUIREMENT = (f"      - kind: required_courses\n        courses: [{{idnumber: {SECOND_COURSE}}}]\n"
                      f'        due: "2026-12-15"\n')
DEMO_CHANGES = {
    "{kind: min_hours, hours: 90}": "{kind: min_hours, hours: 40}",
    "{kind: min_online_hours, hours: 50}": "{kind: min_online_hours, hours: 20}",
    "      - kind: required_reading\n": SECOND_REQUIREMENT + "      - kind: required_reading\n",
    'due: "2026-12-31"': 'due: "2026-12-15"',
    "  unit: {source: cohort}": "  unit: {source: cohort, tree: {source: cohort_field, field: parent_unit}}",
}
KEPT = (f"courses: [{{idnumber: {REQUIRED_COURSE}}}]", f"courses: [{{category: {READING_CATEGORY}}}]")  # as they are
# The year-end assessment of units against their targets, written out (these are the defaults).
DEMO_ASSESSMENT = ("\n# The year-end assessment of units against their targets (目标责任考核): each target's weight,\n"
                   "# and what a target not met scores (proportional: weight x achieved / target; none: nothing).\n"
                   "assessment:\n  weights: {completion_rate: 40, hours_per_cadre: 30, required_courses: 20, "
                   "organised_trainings: 10}\n  partial: proportional\n")
# Trainings the towns organised themselves for a few of their own cadres each (title, month, day, hours): what the
# assessment counts as a unit's own trainings.
TOWN_TRAININGS = [("Study session on the Party's rules", 4, 15, 3.0), ("Village affairs workshop", 9, 10, 3.0)]
TARGETS_FILE = "unit_targets.csv"


class TemplateChanged(RuntimeError):
    """The example rules no longer hold a line the demo changes: the demo would silently show less."""


def write_demo_rules(path: Path) -> None:
    """The example rules with the demo's changes (``DEMO_CHANGES``, every one of which must apply); the courses
    the showcase shapes (``KEPT``) named as the example names them."""
    text = EXAMPLE_RULES.read_text(encoding="utf-8")
    for example in (*DEMO_CHANGES, *KEPT):
        if example not in text:
            raise TemplateChanged(f"{EXAMPLE_RULES.name} no longer holds {example.strip()!r}: update "
                                  "services/demo.py DEMO_CHANGES and KEPT")
    for example, demo in DEMO_CHANGES.items():
        text = text.replace(example, demo)
    header = ("# DEMO RULES, written by `moodle-bridge demo`: config/rules.example.yaml with lower yearly hours (40,\n"
              "# 20 online), as the simulated county's cadres take a few short online courses, a second required\n"
              "# course due 15 December, and the required reading due 15 December. Not for real use.\n")
    path.write_text(header + text + DEMO_ASSESSMENT, encoding="utf-8")


def write_offline_training(made: County, path: Path) -> int:
    """The department's offline-training records as staff would fill the import template; the rows written."""
    from ..rules.offline import template_header

    rows = [[r.cadre_id, r.training, r.organiser, r.start.isoformat(), r.end.isoformat(), r.days, "", r.leave_hours,
             r.kind, r.reference] for r in made.offline]
    rows += [[cadre_id, title, organiser, day.isoformat(), day.isoformat(), "", hours, 0, "study session", ""]
             for cadre_id, title, organiser, day, hours in town_trainings(made)]  # after the county's: lines hold
    export.write_csv([export.Sheet("Offline training", template_header("en"), rows)], path)
    return len(rows)


def _towns(made: County) -> list[tuple[str, str, list[str]]]:
    """The county's town units: (code, name, the cadre ids of their members, not suspended), by code."""
    users = made.site.users
    return sorted((c.idnumber, c.name, [users[m].idnumber for m in sorted(c.members) if m in users
                                         and users[m].idnumber and not users[m].suspended])
                  for c in made.site.cohorts.values() if c.idnumber and c.name.endswith("Town Government"))


def town_trainings(made: County) -> list[tuple[str, str, str, date, float]]:
    """Trainings some towns organised for a few of their cadres (cadre id, title, organiser, day, hours): every
    other town one, every fourth a second."""
    year = datetime.fromtimestamp(made.site.now, ZoneInfo(DEMO_ZONE)).year
    found = []
    for index, (_code, name, members) in enumerate(_towns(made)):
        held = TOWN_TRAININGS[:2] if index % 4 == 0 else TOWN_TRAININGS[:1] if index % 2 == 0 else []
        for title, month, day, hours in held:
            found += [(cadre_id, title, name, date(year, month, day), hours) for cadre_id in members[:3]]
    return found


def write_targets(made: County, path: Path) -> int:
    """The units' targets for this year, as staff fill the targets template: a spread some units meet and some do
    not; the county's own unit (not a town) has none. The rows written."""
    from ..rules.assessment_targets import template_header as targets_header

    rows = [[code, name, (40, 50, 60)[index % 3], (30, 35, 40)[index % 3], (85, 90, 95)[index % 3],
             (1, "", 2, "")[index % 4]] for index, (code, name, _members) in enumerate(_towns(made))]
    export.write_csv([export.Sheet("Unit targets", targets_header("en"), rows)], path)
    return len(rows)


def write_exemptions(made: County, path: Path) -> int:
    """The department's exemptions as an import file (cadre id, reason, from, to, effect); the rows written."""
    rows = [[e.cadre_id, e.reason, e.start.isoformat(), e.end.isoformat(), e.effect] for e in made.exemptions]
    export.write_csv([export.Sheet("Exemptions", ["cadre id", "reason", "from", "to", "effect"], rows)], path)
    return len(rows)


@dataclass
class DemoSite:
    """A simulated county and the files beside it, in ``folder``."""

    folder: Path
    county: County
    offline_rows: int
    exemption_rows: int

    @classmethod
    def prepare(cls, size: str, folder: Path) -> DemoSite:
        folder.mkdir(parents=True, exist_ok=True)
        for stale in ("store.db", "store.db-wal", "store.db-shm"):  # a last run's store, its write-ahead log too
            (folder / stale).unlink(missing_ok=True)
        made = county(size)
        token = folder / "token"
        token.write_text(DEMO_TOKEN + "\n")
        token.chmod(0o600)
        write_demo_rules(folder / "rules.yaml")
        write_targets(made, folder / TARGETS_FILE)
        return cls(folder, made, write_offline_training(made, folder / "offline_training.csv"),
                   write_exemptions(made, folder / "exemptions.csv"))

    @property
    def offline_file(self) -> Path:
        return self.folder / "offline_training.csv"

    @property
    def exemptions_file(self) -> Path:
        return self.folder / "exemptions.csv"

    @property
    def targets_file(self) -> Path:
        return self.folder / TARGETS_FILE

    @property
    def rules_file(self) -> Path:
        return self.folder / "rules.yaml"

    @property
    def config_file(self) -> Path:
        return self.folder / "moodle_bridge.toml"

    @property
    def store(self) -> Path:
        return self.folder / "store.db"

    @property
    def today(self) -> date:
        """The simulated site's today, in the demo organisation's zone."""
        return datetime.fromtimestamp(self.county.site.now, ZoneInfo(DEMO_ZONE)).date()

    def settings(self, url: str) -> Settings:
        return Settings(moodle=MoodleSettings(url=url, token_file=(self.folder / "token").resolve(),
                                              completions_report_id=4),
                        rules=RulesSettings(file=self.rules_file.resolve()),
                        store=StoreSettings(url=f"sqlite:///{self.store.resolve()}"),
                        features=FeatureSettings(feedback=True))  # the trainees' course evaluations and needs

    @contextmanager
    def serve(self, site: Site) -> Iterator[tuple[Settings, SimulatedMoodle]]:
        """The simulated Moodle of ``site`` on 127.0.0.1 while the block runs (its ``site`` may be changed between
        syncs); a config file beside the results to try later."""
        moodle = SimulatedMoodle(site, token=DEMO_TOKEN)
        with moodle.serve() as url:
            self.config_file.write_text(
                f"# Written by `moodle-bridge demo`: a simulated Moodle on {url} (gone when the demo ends).\n"
                f'[moodle]\nurl = "{url}"\ntoken_file = "{(self.folder / "token").resolve()}"\n'
                f"completions_report_id = 4\n"
                f'[rules]\nfile = "{self.rules_file.resolve()}"\n'
                f'[store]\nurl = "sqlite:///{self.store.resolve()}"\n'
                f"[features]\nfeedback = true\n", encoding="utf-8")
            yield self.settings(url), moodle


_PLAIN_NAME = re.compile(r"[^\W\d_]+(?:[ '.-][^\W\d_]+)*")  # letters, words apart: no markup, no test marks


def sample_cadres(engine: Engine) -> list[str]:
    """Cadres worth showing a training file of, from the latest evaluation: an ordinary cadre (a plain name,
    neither suspended nor exempt, with courses, offline training and flags; at risk, as most flagged cadres are,
    then the most kinds of flag, the most hours, the first cadre id) and, when there is one, a county leader (no
    period minimum: a window) whose file holds the years of the window, one behind on it first."""
    with engine.connect() as connection:
        latest = results.evaluation(connection)
        if latest is None:
            return []
        found = results.results_by_cadre(connection, latest.id)
        kinds: dict[str, set[str]] = {}
        for flag in results.flags(connection, latest.id):
            kinds.setdefault(flag.cadre_id, set()).add(flag.kind)
    ordinary = sorted((r for r in found.values() if r.cadre_id in kinds and r.status not in ("suspended", "exempt")
                       and _PLAIN_NAME.fullmatch(r.name) and r.hours_online > 0 and r.hours_offline > 0),
                      key=lambda r: (r.status != "at_risk", -len(kinds[r.cadre_id]), -r.hours, r.cadre_id))
    windows = sorted(cadre for cadre, flagged in kinds.items() if "window_shortfall" in flagged)
    leaders = sorted(r.cadre_id for r in found.values() if r.required_hours is None and r.hours_offline > 0
                     and r.status not in ("suspended", "exempt") and _PLAIN_NAME.fullmatch(r.name))
    picked = [r.cadre_id for r in ordinary[:1]]
    leader = next(iter(windows or leaders), None)
    return picked + ([leader] if leader and leader not in picked else [])


def enter_previous_online(engine: Engine, rules_file: Path, hours: dict[str, float], label: str) -> int:
    """Last period's online hours from the platform used before Moodle, entered as staff's adjustments (one
    transaction: a county's thousands at once); the entries posted."""
    from ..rules.ledger import adjustment
    from ..rules.periods import period
    from ..store import ledger_io
    from .rules_file import load_rules

    start = period(label, load_rules(rules_file).rules.organisation).start
    with engine.begin() as connection:
        first = ledger_io.adjustments_so_far(connection) + 1
        reason = translated(PREVIOUS_PLATFORM)
        ledger_io.post(connection, [adjustment(first + n, cadre_id, amount, reason, label, True, start)
                                    for n, (cadre_id, amount) in enumerate(sorted(hours.items()))], None)
    return len(hours)


def offline_row_id(engine: Engine, source_file: str, line: int) -> int:
    """The stored id of an imported offline row, by the file and line it came from."""
    from ..store.schema import offline_records

    with engine.connect() as connection:
        found: int = connection.execute(select(offline_records.c.id).where(
            offline_records.c.source_file == source_file, offline_records.c.line == line)).scalar_one()
    return found


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
    """What the demo did: cadres by status and flags by kind of its evaluation, the training files shown (their
    cadres), the files to open, the store and config."""

    statuses: dict[str, int]
    flags: int
    flag_kinds: dict[str, int]
    samples: list[str]
    written: list[Path]
    store: Path
    config_file: Path


def run_demo(size: str, folder: Path, say: Callable[[str], None] = print, progress: Progress | None = None,
             show_sync: Callable[[RunSummary], None] | None = None) -> DemoResult:
    """Prepare a simulated county in ``folder`` and run the job against it as a department would through a year:
    sync and import its records at the end of each quarter gone by and evaluate (the rate through the year, and
    last year at its end, whose shortfalls are owed now), withdraw a row entered twice, sync and evaluate as of
    today; then write the reports, training files and a dry run of the actions. ``say`` is told each step as it
    starts; ``progress`` follows today's sync and ``show_sync`` is shown its summary."""
    from ..store import connect, upgrade
    from .offline import import_offline, parse_offline

    say(_("Generating a simulated county of {cadres} cadres...").format(cadres=f"{SIZES[size].cadres:,}"))
    prepared = DemoSite.prepare(size, folder)
    made, today = prepared.county, prepared.today
    quarters = [day for day in (date(today.year, m, d) for m, d in QUARTER_ENDS) if day < today]
    offline = parse_offline(prepared.offline_file)
    engine = connect(f"sqlite:///{prepared.store.resolve()}")
    try:
        upgrade(engine)
        with prepared.serve(made.site_on(quarters[0])) as (settings, moodle):
            say(_("Step 1/5: sync from the simulated Moodle at {url} as it was on {day}").format(
                url=settings.moodle.url, day=quarters[0]))
            _synced(settings, engine)
            imported = _import_records(prepared, engine, [r for r in offline if r.end <= quarters[0]])
            say(_("Imported the department's records: {offline} rows of offline training done by then ({path}), "
                  "{exemptions} exemptions ({exemptions_path}), {cadres} cadres' online hours of {year} on the "
                  "previous platform (ledger adjustments)").format(
                offline=imported, path=prepared.offline_file, exemptions=prepared.exemption_rows,
                exemptions_path=prepared.exemptions_file, cadres=len(made.previous_online),
                year=PREVIOUS_YEAR_END.year))
            say(_("Step 2/5: evaluate {year} at its end ({day}): the hours a cadre fell short then are owed as "
                  "make-up now").format(year=PREVIOUS_YEAR_END.year, day=PREVIOUS_YEAR_END))
            pipeline.evaluate_rules(settings, engine, PREVIOUS_YEAR_END)
            say(_("Step 3/5: evaluate {year} through the year, each time on Moodle as it was that day and the "
                  "offline training done by then").format(year=today.year))
            for day in quarters:
                if day != quarters[0]:
                    moodle.site = made.site_on(day)
                    _synced(settings, engine)
                    import_offline(engine, [r for r in offline if r.end <= day], prepared.offline_file.name)
                say(_rate_line(day, pipeline.evaluate_rules(settings, engine, day)))
            _withdraw_entered_twice(prepared, engine, say)
            moodle.site = made.site
            say(_("Step 4/5: sync from the simulated Moodle as it is today, import the rest of the offline "
                  "training, evaluate {year} as of {day} with the demo rules (see {path})").format(
                year=today.year, day=today, path=prepared.rules_file))
            summary = _synced(settings, engine, progress)
            if show_sync is not None:
                show_sync(summary)
            import_offline(engine, offline, prepared.offline_file.name)
            result = pipeline.evaluate_rules(settings, engine, today)
            say(_rate_line(today, result))
            say(_import_targets(prepared, engine, str(today.year)))
        say(_("Step 5/5: reports, training files, and a dry run of the actions back to Moodle"))
        samples, written = _write_files(engine, folder, say)
        with engine.connect() as connection:
            kinds = Counter(f.kind for f in results.flags(connection, result.evaluation_id))
    finally:
        engine.dispose()
    return DemoResult(dict(result.statuses), result.flags, dict(kinds), samples, written, prepared.store,
                      prepared.config_file)


def _synced(settings: Settings, engine: Engine, progress: Progress | None = None) -> RunSummary:
    summary = pipeline.sync_mirror(settings, engine, progress=progress, full=True)
    if not summary.ok:  # the demo's own Moodle: a failed sync is a fault of the demo, not of a site
        raise RuntimeError("; ".join(summary.errors))
    return summary


def _import_records(prepared: DemoSite, engine: Engine, offline: list[OfflineRow]) -> int:
    """The department's records: offline training (``offline``), exemptions and last year's online hours; the
    offline rows imported."""
    from .exemptions import import_exemptions, read_exemptions
    from .offline import import_offline

    imported, _known = import_offline(engine, offline, prepared.offline_file.name)
    import_exemptions(engine, read_exemptions(prepared.exemptions_file), source=prepared.exemptions_file.name)
    enter_previous_online(engine, prepared.rules_file, prepared.county.previous_online, str(PREVIOUS_YEAR_END.year))
    return imported


def _import_targets(prepared: DemoSite, engine: Engine, label: str) -> str:
    """The units' targets of the year (the letters they signed), imported as staff would: the line to say."""
    from .targets import import_targets, parse_targets

    units, _replaced = import_targets(engine, parse_targets(prepared.targets_file), label,
                                      prepared.targets_file.name)
    return _("Imported the targets of {units} units for {year} ({path}): the year-end assessment scores them").format(
        units=units, year=label, path=prepared.targets_file)


def _rate_line(day: date, result: EvaluationSummary) -> str:
    return _("  as of {day}: completion rate {rate}").format(day=day, rate=rate_cell(completion_rate(result.statuses)))


def _withdraw_entered_twice(prepared: DemoSite, engine: Engine, say: Callable[[str], None]) -> None:
    """Staff find the row entered twice and withdraw it: the next evaluation reverses what it earned."""
    from .ledger import withdraw

    line = prepared.county.entered_twice + 2  # the header is line 1
    reason = _("Entered twice: the same training as certificate {reference}").format(
        reference=prepared.county.first_entry.reference)  # staff's words, in their language
    withdraw(engine, offline_row_id(engine, prepared.offline_file.name, line), reason)
    say(_("Line {line} of {file} withdrawn: {reason}").format(line=line, file=prepared.offline_file.name,
                                                               reason=reason))


def _write_files(engine: Engine, folder: Path, say: Callable[[str], None]) -> tuple[list[str], list[Path]]:
    """The reports (the pipeline's, the year-end summary, the year-end assessment, the course evaluation and the
    training needs), the training files of ``sample_cadres`` (HTML, and PDF where WeasyPrint can run) and the
    actions' dry run: (the cadres, the files)."""
    from ..reports.pdf import PdfUnavailable
    from .report_files import write_report

    written = pipeline.write_reports(engine, folder)
    written.append(write_report(engine, "summary", "html", folder / "summary.html"))
    for fmt in ("html", "xlsx", "pdf"):  # the year-end assessment of units against their targets
        try:
            written.append(write_report(engine, "assessment", fmt, folder / f"assessment.{fmt}"))
        except PdfUnavailable as exc:  # the HTML prints as well
            say(str(exc))
    for kind in ("course-evaluation", "training-needs"):  # what trainees answered in Moodle's Feedback activities
        written += [write_report(engine, kind, fmt, folder / f"{kind}.{fmt}") for fmt in ("html", "xlsx")]
    samples = sample_cadres(engine)
    for cadre_id in samples:
        for fmt in ("html", "pdf"):
            try:
                written.append(write_report(engine, "training-file", fmt, folder / f"training-file-{cadre_id}.{fmt}",
                                            cadre_id=cadre_id))
            except PdfUnavailable as exc:  # the HTML prints as well
                say(str(exc))
    written.append(write_dry_run(engine, folder / "actions-dry-run.json"))
    return samples, written


@dataclass(frozen=True)
class ReviewPage:
    """The review page on a demo's store, and the account made to sign in with (a password made for this run)."""

    app: Starlette
    username: str
    password: str


def review_page(store: Path, language: str | None = None) -> ReviewPage:
    """The review page's app on the demo's ``store``, with an administrator account of a fresh random password
    (``language``: its pages' language; None: the browser's). Its session key is made for this run too."""
    from ..store import connect
    from ..web import accounts
    from ..web.app import create_app

    engine = connect(f"sqlite:///{store.resolve()}")
    password = secrets.token_urlsafe(12)
    accounts.add(engine, DEMO_ACCOUNT, password, "admin", [], language)
    return ReviewPage(create_app(engine, secrets.token_urlsafe(48)), DEMO_ACCOUNT, password)

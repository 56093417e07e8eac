"""``moodle-bridge evaluate``: feed the pure rules from the store, keep what they decide.

Reads the mirror (cadres, courses, completions with their final grades), offline records,
exemptions and the ledger (``store/evaluation_io.py``, ``store/ledger_io.py``); computes credits;
posts the ledger's differences (reversal + new entry); evaluates every cadre; stores the results
with the hashes of the rules and of the exemption set they used. All in one transaction: an
evaluation is whole or absent. Every decision is the rules' (``rules/``); this module only moves data.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Connection, Engine

from .. import __version__, results
from .. import rules as rules_package
from ..rules.cadres import cadres_of
from ..rules.evaluate import CadreResult, Situation, shortfall
from ..rules.exemptions import file_changes, fingerprint
from ..rules.facts import CadreFacts, CourseFacts, OfflineFact, OpenCourse
from ..rules.kinds import unit_for
from ..rules.loader import LoadedRules
from ..rules.model import Exemption, Rules
from ..rules.periods import day_end, day_start, period, period_of
from ..rules.units import FLAT, UnitTree
from ..store import evaluation_io as store
from ..store import ledger_io as ledger
from ..store import unit_tallies
from ..store import units as unit_rows
from ..store.database import refresh_statistics
from ..store.unit_tallies import Contribution, UnitTally
from . import parallel
from .judging import Facts, Judged, Shared, judge
from .units import current_tree, place, placing_key

log = structlog.get_logger("moodle_bridge.evaluate")


@dataclass
class EvaluationSummary:
    evaluation_id: int
    period: str
    as_of: date
    statuses: dict[str, int]
    flags: int
    posted: int
    differences: int
    judged: int = 0  # the cadres judged (the others' results held on from the evaluation before)
    incremental: bool = False  # whether it judged only the cadres whose facts changed or whose result expired


def as_of_and_period(rules: Rules, label: str | None = None, as_of: date | None = None) -> tuple[date, str]:
    """The as-of day (default: today in the organisation's zone) and the period evaluated (default: the as-of
    day's). The one definition of "today's period": the CLI's ``evaluate``, the pipeline and the demo use it."""
    organisation = rules.organisation
    day = as_of or datetime.now(ZoneInfo(organisation.timezone)).date()
    return day, label or period_of(day_start(day, organisation), organisation).label


def load_cadres(connection: Connection, rules: Rules, tree: UnitTree = FLAT) -> list[CadreFacts]:
    """The cadres among the live users, in user id order, each in the unit Moodle shows."""
    return _cadres_of(store.load_people(connection), rules, tree)


def _cadres_of(people: Sequence[store.MirrorPerson], rules: Rules, tree: UnitTree) -> list[CadreFacts]:
    cadres, duplicates = cadres_of(people, rules.cadres, tree)
    for d in duplicates:  # two Moodle users share a cadre id: the first account counts
        log.warning("evaluate.duplicate_cadre_id", cadre_id=d.cadre_id, user_id=d.user_id)
    return cadres


def store_rules_exemptions(connection: Connection, rules: Rules) -> None:
    """The rules file's exemptions go into the one exemption table (source "rules"); those removed
    from the file are withdrawn there. Imports and the review page feed the same table."""
    changes = file_changes(rules.exemptions, store.exemption_keys(connection),
                           store.exemptions_from(connection, "rules"))
    store.add_exemptions(connection, changes.fresh, "rules")
    store.set_exemptions_withdrawn(connection, changes.withdraw, True)
    store.set_exemptions_withdrawn(connection, changes.restore, False)


def load_exemptions(connection: Connection) -> tuple[dict[str, list[Exemption]], str]:
    """The exemptions in force (one table), and a hash of the set, recorded with the results."""
    from .exemptions import stored_exemption  # dates out of the window (an older version's): clamped, logged

    every = store.load_exemptions(connection, stored_exemption)
    by_cadre: dict[str, list[Exemption]] = defaultdict(list)
    for e in every:
        by_cadre[e.cadre_id].append(e)
    return by_cadre, fingerprint(every)


def previous_shortfalls(connection: Connection, before: int | None,
                        cadre_ids: Iterable[str] | None = None) -> dict[str, float]:
    """What each cadre (of ``cadre_ids``, or every one) fell short of the previous period's minimum, as its latest
    evaluation (``before``) found it: make-up owed in this one. A previous period nobody evaluated owes nothing."""
    if before is None:
        return {}
    found = {r.cadre_id: shortfall(r.status, r.required_hours, r.hours)
             for r in results.results_by_cadre(connection, before, cadre_ids).values()}
    return {cadre_id: hours for cadre_id, hours in found.items() if hours}


def _needs_shortfall(rules: Rules) -> bool:
    return any(unit_for(r.kind).needs_previous_shortfall(r) for g in rules.groups.values() for r in g.requirements)


LEDGER_GROWN = 10_000  # postings in one chunk that make the ledger's statistics worth refreshing at once


class _Clock:
    """Seconds per phase, when the caller wants them (the benchmark does)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings, self.last = timings, time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[phase] = round(self.timings.get(phase, 0.0) + now - self.last, 2)
        self.last = now


def _rows(results: list[CadreResult], moves: Mapping[str, int]) -> tuple[list[store.ResultRow], list[store.FlagRow]]:
    """The results' and flags' rows; ``moves``: the last moment before a cadre's next move (their result holds no
    longer after it)."""
    def recheck(r: CadreResult) -> int | None:
        move = moves.get(r.cadre.cadre_id)
        return r.recheck_at if move is None else move if r.recheck_at is None else min(r.recheck_at, move)

    return ([store.ResultRow(r.cadre.cadre_id, r.cadre.user_id, r.cadre.name, r.cadre.unit_code, r.cadre.unit_name,
                             r.groups, r.status, r.hours_online, r.hours_offline, r.required_hours, recheck(r),
                             len(r.flags))
             for r in results],
            [store.FlagRow(r.cadre.cadre_id, f.kind, f.group, f.rule, f.evidence) for r in results for f in r.flags])


def _contribution(result: CadreResult) -> Contribution:
    return Contribution(result.cadre.unit_code, result.cadre.unit_name, result.status,
                        result.hours_online + result.hours_offline, [(f.kind, f.group) for f in result.flags])


def _write_tallies(connection: Connection, evaluation_id: int, label: str, changes: dict[str, UnitTally],
                   judge_all: bool) -> None:
    """Each unit's tally as of this evaluation. Judging everyone, ``changes`` are the tallies; otherwise the tallies
    of the units it changed are those it held with ``changes``, and the other units' hold on."""
    if judge_all:
        unit_tallies.write_tallies(connection, evaluation_id, label, changes, None)
        return
    held = unit_tallies.held_tallies(connection, label, changes)
    for code, change in changes.items():
        unit = held.setdefault(code, UnitTally())
        unit.merge(change)
        unit.name = change.name or unit.name  # a result it wrote names the unit
    unit_tallies.write_tallies(connection, evaluation_id, label, held, changes)


@cache
def _code_fingerprint() -> str:
    """The code that judges (the rules package), so that results judged by another version are judged again."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(Path(rules_package.__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _groups(rules: Rules) -> dict[str, str]:
    """Each group as it judges (its label only names it), by name."""
    return {name: json.dumps(group.model_dump(mode="json", exclude={"label"}), sort_keys=True)
            for name, group in rules.groups.items()}


def context_fingerprint(rules: Rules, courses: Mapping[int, CourseFacts], open_courses: Sequence[OpenCourse],
                        closed: set[str], before: int | None, placing: str | None = None) -> str:
    """What every cadre's result depends on besides their own facts: the code that judges and the rules but their
    groups' requirements (``_edited_groups`` compares those group by group), labels (names only) and exemptions
    (each a cadre's fact, in the exemption table); the courses (names, hours, categories), the courses open on the
    as-of day, the closed periods, the previous period's evaluation (make-up owed), what places a cadre in a unit
    (``units.placing_key``: which of their cohorts is their unit). Two evaluations in the same
    context differ only where cadres' facts or their groups' requirements differ."""
    # The assessment's weights, the promotion check's periods and the reminders' schedule judge no cadre: editing them
    # judges no one again.
    judging = rules.model_dump(mode="json", exclude={"groups", "labels", "exemptions", "assessment", "promotion",
                                                     "reminders"})
    selects = [(name, rules.groups[name].select.model_dump(mode="json")) for name in rules.groups]  # in their order
    context = {"code": _code_fingerprint(), "rules": judging, "selects": selects,
               "courses": [asdict(c) for _id, c in sorted(courses.items())],
               "open": [asdict(o) for o in open_courses],  # in course order, as the store reads them
               "closed": sorted(closed), "before": before, "placing": placing}
    return hashlib.sha256(json.dumps(context, sort_keys=True, default=str).encode()).hexdigest()


def _edited_groups(connection: Connection, rules: Rules, before_hash: str) -> set[str] | None:
    """The groups whose requirements differ from those of the rules that judged before (same context: the groups
    and how they select are the same); None when those rules are not kept or not readable any more."""
    before = results.judged_rules(connection, before_hash)
    if before is None:
        return None
    old, new = _groups(before), _groups(rules)
    return {name for name in new if old.get(name) != new[name]}


def _to_judge(connection: Connection, rules: Rules, label: str, as_of_end: int, changes: store.Changes,
              edited: set[str], tree: UnitTree) -> tuple[list[CadreFacts], set[str]]:
    """The cadres an incremental evaluation judges again: whose facts changed (by user or by cadre id), whose
    result holds no longer on the as-of day, who belong to a group whose requirements were edited, and any whose
    cadre id they take or leave (duplicates: the first account counts, as in a whole evaluation). With them, the
    cadre ids whose results end: theirs, before and now."""
    users = changes.users | store.held_users(connection, label, changes.cadres).keys() | store.due_for_recheck(
        connection, label, as_of_end) | (store.held_in_groups(connection, label, edited) if edited else set())
    held = set(store.held_cadre_ids(connection, label, users).values())  # their cadre ids before
    field = rules.cadres.cadre_id_field
    people = store.load_people(connection, users)
    claimed: set[str] = {str(p.profile[field]) for p in people if p.profile.get(field)}
    more = set(store.held_users(connection, label, claimed - held)) - users  # who holds an id one of them now claims
    if left := held - claimed:  # an id its user left: an account skipped as a duplicate may take it
        more |= store.claimants(connection, field, left) - users
    if more:
        people = sorted([*people, *store.load_people(connection, more)], key=lambda p: p.user_id)
    cadres = _cadres_of(people, rules, tree)
    return cadres, held | claimed | changes.cadres | {c.cadre_id for c in cadres}


def evaluate(engine: Engine, loaded: LoadedRules, period_label: str, as_of: date,
             timings: dict[str, float] | None = None, chunk: int = 20_000,
             incremental: bool = True, workers: int | None = None) -> EvaluationSummary:
    """Evaluate the cadres, ``chunk`` cadres at a time (memory stays bounded at any size); the whole evaluation is
    one transaction all the same.

    Incremental (the default): when the latest evaluation is of the same period, not of a later day, and judged in
    the same context (``context_fingerprint``), only the cadres whose facts changed since (the store's triggers
    recorded them) or whose result holds no longer on the as-of day are judged; the others' results hold on.
    Otherwise, and with ``incremental=False``, every cadre is judged. Both give the same results, flags and ledger
    (``tests/services/test_incremental_evaluation.py``). Judging everyone, at least ``parallel.PARALLEL_FROM``
    cadres, the chunks are judged by ``workers`` processes (default: one a core, at most ``parallel.CORES``; 0: in
    this process), which gives the same outcome."""
    rules = loaded.rules
    span = period(period_label, rules.organisation)
    previous = period(int(period_label) - 1, rules.organisation)
    as_of_end = day_end(as_of, rules.organisation)
    clock = _Clock(timings)
    posted, reported = 0, 0
    ledger_analysed = False
    with engine.begin() as connection:
        store_rules_exemptions(connection, rules)  # before taking the changes: its own are among them
        courses = store.load_courses(connection, CourseFacts)
        closed = store.closed_periods(connection)
        open_courses = store.load_open_courses(connection, day_start(as_of, rules.organisation), OpenCourse)
        situation = Situation(rules, span, as_of_end, courses, open_courses)
        before = results.evaluation(connection, str(int(period_label) - 1)) if _needs_shortfall(rules) else None
        tree = current_tree(connection, rules.cadres)
        placing = placing_key(rules.cadres, tree)
        context = context_fingerprint(rules, courses, open_courses, closed, before.id if before else None, placing)
        latest = results.evaluation(connection)  # of any period: the changes recorded since are those not yet taken
        # An older version's evaluation (without its units' tallies) is judged again whole, as another version's
        # code always is: its context differs anyway after a release.
        judge_all = not (incremental and latest is not None and latest.period == period_label
                         and latest.context_hash == context and latest.as_of <= as_of and latest.tallied)
        edited = set() if judge_all or latest is None or latest.rules_hash == loaded.digest else _edited_groups(
            connection, rules, latest.rules_hash)
        judge_all = judge_all or edited is None
        # The changes recorded so far are this evaluation's to take (judging everyone, it only clears them), before
        # it reads any cadre's facts: a change committed after this is read again by the next evaluation.
        changes = store.Changes(set(), set()) if judge_all else store.take_changes(connection)
        if judge_all:
            store.clear_changes(connection)
        exempt, exemptions_hash = load_exemptions(connection)
        evaluation_id = store.create_evaluation(connection, period_label, as_of, loaded.digest, exemptions_hash,
                                                context)
        if loaded.text:  # the text that judged, for any later report to name its requirements
            store.keep_rules_text(connection, loaded.digest, loaded.text)
        if tree:  # the tree its figures roll up along
            unit_rows.keep_tree(connection, tree.digest(), tree.rows())
        unit_rows.set_evaluation_tree(connection, evaluation_id, tree.digest() if tree else None, placing)
        statuses: Counter[str] = Counter()  # of the results it holds: those kept, then its own added
        flags = 0
        units: dict[str, UnitTally] = {}  # what its results change in each unit's tally: the replaced taken away
        if judge_all:
            cadres = load_cadres(connection, rules, tree)
            store.supersede(connection, evaluation_id, period_label, None)
        else:
            cadres, ending = _to_judge(connection, rules, period_label, as_of_end, changes, edited or set(), tree)
            assert latest is not None and latest.flags is not None  # the same context: one of this version's
            ended = unit_tallies.held_contributions(connection, period_label, ending)
            statuses = Counter(latest.counts) - Counter(r.status for r in ended)
            flags = latest.flags - sum(len(r.flags) for r in ended)
            for result in ended:
                units.setdefault(result.unit_code, UnitTally()).add(result, -1)
            store.supersede(connection, evaluation_id, period_label, ending)
        # Each in their unit that day; Moodle's units noted unless an evaluation saw a later day already (a re-run
        # of an earlier day cannot tell when a move it sees happened), a unit of another code being the same
        # membership when what places cadres changed since the last evaluation.
        seen_until = unit_rows.last_day_evaluated(connection)
        placed = place(connection, cadres, as_of, tree, everyone=judge_all,
                       record=seen_until is None or as_of >= seen_until,
                       renamed=latest is not None and latest.unit_placing != placing)
        cadres = placed.cadres
        moves = {cadre_id: day_start(day, rules.organisation) - 1 for cadre_id, day in placed.next_move.items()}
        cadre_ids = None if judge_all else [c.cadre_id for c in cadres]
        offline = store.load_offline(connection, OfflineFact, cadre_ids)
        shortfalls = previous_shortfalls(connection, before.id if before else None, cadre_ids)
        clock.lap("read the store")
        shared = Shared(rules, courses, situation, previous, span, closed, period_label)

        def keep(judged: Judged) -> None:
            """Post a chunk's ledger entries and write its results (in this transaction)."""
            nonlocal posted, reported, flags, ledger_analysed
            ledger.post(connection, judged.entries, loaded.digest)
            if len(judged.entries) >= LEDGER_GROWN and not ledger_analysed:
                # A first evaluation fills an empty ledger: planned on statistics of an empty table, the next chunks'
                # ledger reads scan it whole (PostgreSQL: 2 s a read at 100,000 cadres). Analysed once, they use its
                # index; the statistics are this transaction's, committed with it.
                refresh_statistics(connection, ("credit_entries",))
                ledger_analysed = True
            reported += store.report_differences(connection, judged.differences)
            posted += len(judged.entries)
            clock.lap("write the ledger")
            store.store_results(connection, evaluation_id, period_label, *_rows(judged.results, moves))
            statuses.update(r.status for r in judged.results)
            flags += sum(len(r.flags) for r in judged.results)
            for r in judged.results:
                units.setdefault(r.cadre.unit_code, UnitTally()).add(_contribution(r))
            clock.lap("write results")

        chunks = [cadres[start:start + chunk] for start in range(0, len(cadres), chunk)]
        facts = Facts(offline, exempt, shortfalls)
        if judge_all and parallel.worth_it(connection, len(cadres), workers):
            def waited(judged: Judged) -> None:
                clock.lap("wait for the workers")  # reading and judging, theirs: what this process waited for
                keep(judged)

            parallel.judge_in_parallel(engine, shared, facts, chunks, workers, waited)
        else:
            for group in chunks:
                completions, entries_so_far = parallel.read_chunk(connection, group)
                clock.lap("read the store")
                keep(judge(shared, facts, group, completions, entries_so_far, clock.lap))
        _write_tallies(connection, evaluation_id, period_label, units, judge_all)
        store.finish_evaluation(connection, evaluation_id, dict(statuses), judged=len(cadres), flags=flags,
                                tallied=True)
        clock.lap("unit tallies")
        if judge_all or len(cadres) * 10 >= sum(statuses.values()):
            refresh_statistics(connection)  # committed with the rows: the page's reads of them are planned on them
        clock.lap("statistics")
    return EvaluationSummary(evaluation_id, period_label, as_of, dict(statuses), flags, posted, reported,
                             judged=len(cadres), incremental=not judge_all)

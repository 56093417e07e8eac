"""``moodle-bridge evaluate``: feed the pure rules from the store, keep what they decide.

Reads the mirror (cadres, courses, completions with their final grades), offline records,
exemptions and the ledger (``store/evaluation_io.py``, ``store/ledger_io.py``); computes credits;
posts the ledger's differences (reversal + new entry); evaluates every cadre; stores the results
with the hashes of the rules and of the exemption set they used. All in one transaction: an
evaluation is whole or absent. Every decision is the rules' (``rules/``); this module only moves data.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Connection, Engine

from .. import results
from ..rules.cadres import cadres_of
from ..rules.credits import cap_online, completion_credits, offline_credits
from ..rules.evaluate import CadreResult, Situation, UnitTally, carry_over, evaluate_cadre, shortfall
from ..rules.exemptions import file_changes, fingerprint
from ..rules.facts import CadreFacts, CompletionFact, CourseFacts, Credit, OfflineFact, OpenCourse, Refused
from ..rules.kinds import unit_for
from ..rules.ledger import Entry, credits_of, postings, standing_of
from ..rules.loader import LoadedRules
from ..rules.model import Exemption, Rules
from ..rules.periods import day_end, day_start, period, period_of
from ..store import evaluation_io as store
from ..store import ledger_io as ledger
from ..store.database import refresh_statistics

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
    units: dict[str, dict[str, Any]]


def as_of_and_period(rules: Rules, label: str | None = None, as_of: date | None = None) -> tuple[date, str]:
    """The as-of day (default: today in the organisation's zone) and the period evaluated (default: the as-of
    day's). The one definition of "today's period": the CLI's ``evaluate``, the pipeline and the demo use it."""
    organisation = rules.organisation
    day = as_of or datetime.now(ZoneInfo(organisation.timezone)).date()
    return day, label or period_of(day_start(day, organisation), organisation).label


def load_cadres(connection: Connection, rules: Rules) -> list[CadreFacts]:
    cadres, duplicates = cadres_of(store.load_people(connection), rules.cadres)
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


def previous_shortfalls(connection: Connection, label: str) -> dict[str, float]:
    """What each cadre fell short of the previous period's minimum, as its latest evaluation found it
    (make-up owed in this one). A previous period nobody evaluated owes nothing."""
    before = results.evaluation(connection, str(int(label) - 1))
    if before is None:
        return {}
    found = {r.cadre_id: shortfall(r.status, r.required_hours, r.hours)
             for r in results.results_by_cadre(connection, before.id).values()}
    return {cadre_id: hours for cadre_id, hours in found.items() if hours}


def _needs_shortfall(rules: Rules) -> bool:
    return any(unit_for(r.kind).needs_previous_shortfall(r) for g in rules.groups.values() for r in g.requirements)


class _Clock:
    """Seconds per phase, when the caller wants them (the benchmark does)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings, self.last = timings, time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[phase] = round(self.timings.get(phase, 0.0) + now - self.last, 2)
        self.last = now


def _rows(results: list[CadreResult]) -> tuple[list[store.ResultRow], list[store.FlagRow]]:
    return ([store.ResultRow(r.cadre.cadre_id, r.cadre.user_id, r.cadre.name, r.cadre.unit_code, r.cadre.unit_name,
                             r.groups, r.status, r.hours_online, r.hours_offline, r.required_hours) for r in results],
            [store.FlagRow(r.cadre.cadre_id, f.kind, f.group, f.rule, f.evidence) for r in results for f in r.flags])


def evaluate(engine: Engine, loaded: LoadedRules, period_label: str, as_of: date,
             timings: dict[str, float] | None = None, chunk: int = 20_000) -> EvaluationSummary:
    """Evaluate every cadre, ``chunk`` cadres at a time (memory stays bounded at any size); the
    whole evaluation is one transaction all the same."""
    rules = loaded.rules
    span = period(period_label, rules.organisation)
    previous = period(int(period_label) - 1, rules.organisation)
    clock = _Clock(timings)
    statuses: dict[str, int] = defaultdict(int)
    tally, flags, posted, reported = UnitTally(), 0, 0, 0
    with engine.begin() as connection:
        cadres = sorted(load_cadres(connection, rules), key=lambda c: c.user_id)
        courses = store.load_courses(connection, CourseFacts)
        offline = store.load_offline(connection, OfflineFact)
        store_rules_exemptions(connection, rules)
        exempt, exemptions_hash = load_exemptions(connection)
        closed = store.closed_periods(connection)
        open_courses = store.load_open_courses(connection, day_start(as_of, rules.organisation), OpenCourse)
        situation = Situation(rules, span, day_end(as_of, rules.organisation), courses, open_courses)
        shortfalls = previous_shortfalls(connection, period_label) if _needs_shortfall(rules) else {}
        evaluation_id = store.create_evaluation(connection, period_label, as_of, loaded.digest, exemptions_hash)
        if loaded.text:  # the text that judged, for any later report to name its requirements
            store.keep_rules_text(connection, loaded.digest, loaded.text)
        clock.lap("read the store")
        for start in range(0, len(cadres), chunk):
            group = cadres[start:start + chunk]
            completions = store.load_completions(connection, group[0].user_id, group[-1].user_id, CompletionFact)
            entries_so_far = ledger.load_ledger(connection, [c.cadre_id for c in group], Entry)
            clock.lap("read the store")
            desired: list[Credit] = []
            refused_by_cadre: dict[str, list[Refused]] = {}
            for cadre in group:
                online, refused = completion_credits(cadre.cadre_id, completions.get(cadre.user_id, []), courses,
                                                     rules)
                away, refused_offline = offline_credits(offline.get(cadre.cadre_id, []), rules)
                earned = cap_online(online + away, rules)
                carried = carry_over(cadre, earned, rules, previous, span, exempt.get(cadre.cadre_id, []))
                desired += earned + ([carried] if carried else [])
                refused_by_cadre[cadre.cadre_id] = refused + refused_offline
            clock.lap("credits")
            entries, differences = postings(desired, standing_of(entries_so_far), closed, period_label)
            clock.lap("ledger postings")
            ledger.post(connection, entries, loaded.digest)
            reported += store.report_differences(connection, differences)
            posted += len(entries)
            clock.lap("write the ledger")
            credits_by_cadre = credits_of(entries_so_far + entries)
            results = [
                evaluate_cadre(cadre, credits_by_cadre.get(cadre.cadre_id, []),
                               {c.course_id: c for c in completions.get(cadre.user_id, [])},
                               refused_by_cadre.get(cadre.cadre_id, []), situation, exempt.get(cadre.cadre_id, []),
                               previous_shortfall=shortfalls.get(cadre.cadre_id),
                               offline=offline.get(cadre.cadre_id, []))
                for cadre in group
            ]
            clock.lap("evaluate cadres")
            store.store_results(connection, evaluation_id, *_rows(results))
            for r in results:
                statuses[r.status] += 1
                flags += len(r.flags)
                tally.add(r)
            clock.lap("write results")
        store.finish_evaluation(connection, evaluation_id, statuses)
        refresh_statistics(connection)  # committed with the rows: the page's reads of them are planned on them
        clock.lap("statistics")
    return EvaluationSummary(evaluation_id, period_label, as_of, dict(statuses), flags, posted, reported,
                             tally.rates())

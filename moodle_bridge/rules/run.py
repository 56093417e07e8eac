"""``moodle-bridge evaluate``: feed the pure rules from the store, keep what they decide.

Reads the mirror (cadres, courses, completions with their final grades), offline records,
exemptions and the ledger; computes credits; posts the ledger's differences (reversal + new
entry); evaluates every cadre; stores the results with the hashes of the rules and of the
exemption set they used. All in one transaction: an evaluation is whole or absent.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

import structlog
from sqlalchemy import Connection, Engine, insert, select, update

from ..store.schema import (
    closing_differences,
    credit_entries,
    evaluation_flags,
    evaluation_results,
    evaluations,
    exemptions,
    mirror_categories,
    mirror_cohort_members,
    mirror_cohorts,
    mirror_completions,
    mirror_courses,
    mirror_grades,
    mirror_users,
    offline_records,
    period_closures,
)
from .credits import cap_online, completion_credits, offline_credits
from .evaluate import CadreResult, Situation, UnitTally, carry_over, evaluate_cadre
from .facts import CadreFacts, CompletionFact, CourseFacts, Credit, OfflineFact
from .ledger import Entry, postings, standing_of
from .loader import LoadedRules
from .model import Exemption, Rules
from .periods import day_end, period

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
    units: dict


def _parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None


def load_cadres(connection: Connection, rules: Rules) -> list[CadreFacts]:
    spec = rules.cadres
    cohorts = {r.id: (r.idnumber or str(r.id), r.name) for r in connection.execute(
        select(mirror_cohorts).where(mirror_cohorts.c.gone_at.is_(None)))}
    memberships: dict[int, list[int]] = defaultdict(list)
    for r in connection.execute(select(mirror_cohort_members).where(mirror_cohort_members.c.gone_at.is_(None))
                                .order_by(mirror_cohort_members.c.cohort_id)):
        if r.cohort_id in cohorts:
            memberships[r.user_id].append(r.cohort_id)
    cadres, seen = [], set()
    for user in connection.execute(select(mirror_users).where(mirror_users.c.gone_at.is_(None))
                                   .order_by(mirror_users.c.id)):
        profile = user.profile or {}
        cadre_id = profile.get(spec.cadre_id_field)
        if not cadre_id:
            continue  # not a cadre
        if cadre_id in seen:  # two Moodle users share a cadre id: the first account counts
            log.warning("evaluate.duplicate_cadre_id", cadre_id=cadre_id, user_id=user.id)
            continue
        seen.add(cadre_id)
        codes = [cohorts[c][0] for c in memberships.get(user.id, [])]
        if spec.unit.source == "cohort" and memberships.get(user.id):
            unit_code, unit_name = cohorts[memberships[user.id][0]]
        else:
            unit_code = unit_name = profile.get(spec.unit.field) or user.department or "?"
        cadres.append(CadreFacts(
            user_id=user.id, cadre_id=cadre_id, name=f"{user.firstname or ''} {user.lastname or ''}".strip(),
            unit_code=unit_code, unit_name=unit_name, rank=profile.get(spec.rank_field),
            category=profile.get(spec.category_field), cohorts=frozenset(codes),
            joined=_parse_day(profile.get(spec.joined_field)) if spec.joined_field else None,
            promoted=_parse_day(profile.get(spec.promoted_field)) if spec.promoted_field else None,
            suspended=bool(user.suspended)))
    return cadres


def load_courses(connection: Connection) -> dict[int, CourseFacts]:
    categories = {r.id: (r.idnumber, r.name) for r in connection.execute(select(mirror_categories))}
    return {r.id: CourseFacts(r.id, r.idnumber, r.shortname, r.fullname, *categories.get(r.categoryid, (None, None)),
                              r.hours)
            for r in connection.execute(select(mirror_courses).where(mirror_courses.c.gone_at.is_(None)))}


def load_completions(connection: Connection, first_user: int, last_user: int) -> dict[int, list[CompletionFact]]:
    """Completions (with final grades) of the users whose ids lie in [first_user, last_user]."""
    grades = {(r.course_id, r.user_id): r.grade for r in connection.execute(
        select(mirror_grades.c.course_id, mirror_grades.c.user_id, mirror_grades.c.grade)
        .where(mirror_grades.c.gone_at.is_(None), mirror_grades.c.user_id.between(first_user, last_user)))}
    result: dict[int, list[CompletionFact]] = defaultdict(list)
    for r in connection.execute(select(mirror_completions).where(
            mirror_completions.c.gone_at.is_(None), mirror_completions.c.user_id.between(first_user, last_user))):
        if r.time_completed is not None:
            result[r.user_id].append(CompletionFact(r.user_id, r.course_id, r.time_completed,
                                                    grades.get((r.course_id, r.user_id))))
    return result


def load_offline(connection: Connection) -> dict[str, list[OfflineFact]]:
    result: dict[str, list[OfflineFact]] = defaultdict(list)
    for r in connection.execute(select(offline_records).where(offline_records.c.withdrawn_at.is_(None))):
        result[r.cadre_id].append(OfflineFact(f"offline:{r.id}", r.cadre_id, r.training, r.end, r.days, r.hours,
                                              r.leave_hours, r.kind or "offline"))
    return result


def exemption_key(e: Exemption) -> str:
    return hashlib.sha256(f"{e.cadre_id}|{e.reason}|{e.start}|{e.end}|{e.effect}".encode()).hexdigest()


def store_rules_exemptions(connection: Connection, rules: Rules) -> None:
    """The rules file's exemptions go into the one exemption table (source "rules"); those removed
    from the file are withdrawn there. Imports and the review page feed the same table."""
    now = datetime.now(UTC)
    in_file = {exemption_key(e): e for e in rules.exemptions}
    every_key = {r.key for r in connection.execute(select(exemptions.c.key))}  # imports share the key space
    stored = {r.key: r for r in connection.execute(select(exemptions).where(exemptions.c.source == "rules"))}
    fresh = [{"key": k, "cadre_id": e.cadre_id, "reason": e.reason, "start": e.start, "end": e.end,
              "effect": e.effect, "source": "rules", "created_at": now} for k, e in in_file.items()
             if k not in every_key]
    if fresh:
        connection.execute(insert(exemptions), fresh)
    for key, row in stored.items():
        if (key in in_file) == (row.withdrawn_at is not None):  # back in the file, or removed from it
            connection.execute(update(exemptions).where(exemptions.c.key == key).values(
                withdrawn_at=None if key in in_file else now))


def load_exemptions(connection: Connection, rules: Rules) -> tuple[dict[str, list[Exemption]], str]:
    """The exemptions in force (one table), and a hash of the set, recorded with the results."""
    every = [Exemption.model_validate({"cadre_id": r.cadre_id, "reason": r.reason, "from": r.start, "to": r.end,
                                       "effect": r.effect})
             for r in connection.execute(select(exemptions).where(exemptions.c.withdrawn_at.is_(None)))]
    canonical = sorted(json.dumps(e.model_dump(mode="json", by_alias=True), sort_keys=True) for e in every)
    by_cadre: dict[str, list[Exemption]] = defaultdict(list)
    for e in every:
        by_cadre[e.cadre_id].append(e)
    return by_cadre, hashlib.sha256("\n".join(canonical).encode()).hexdigest()


def load_ledger(connection: Connection, cadre_ids: list[str]) -> list[Entry]:
    """The ledger entries of these cadres, in the order they were written."""
    entries = []
    for start in range(0, len(cadre_ids), 500):
        ids = cadre_ids[start:start + 500]
        entries += [(r.id, Entry(r.cadre_id, r.source, r.period, r.hours, r.online, r.earned_at, r.kind, r.reason))
                    for r in connection.execute(select(credit_entries).where(credit_entries.c.cadre_id.in_(ids)))]
    return [entry for _id, entry in sorted(entries, key=lambda pair: pair[0])]


class _Clock:
    """Seconds per phase, when the caller wants them (the benchmark does)."""

    def __init__(self, timings: dict | None) -> None:
        self.timings, self.last = timings, time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[phase] = round(self.timings.get(phase, 0.0) + now - self.last, 2)
        self.last = now


def evaluate(engine: Engine, loaded: LoadedRules, period_label: str, as_of: date,
             timings: dict | None = None, chunk: int = 20_000) -> EvaluationSummary:
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
        courses = load_courses(connection)
        offline = load_offline(connection)
        store_rules_exemptions(connection, rules)
        exempt, exemptions_hash = load_exemptions(connection, rules)
        closed = {r.period for r in connection.execute(select(period_closures.c.period))}
        situation = Situation(rules, span, day_end(as_of, rules.organisation), courses)
        shortfalls = _shortfalls(connection, period_label) if _needs_shortfall(rules) else {}
        evaluation_id = _create_evaluation(connection, period_label, as_of, loaded.digest, exemptions_hash)
        clock.lap("read the store")
        for start in range(0, len(cadres), chunk):
            group = cadres[start:start + chunk]
            completions = load_completions(connection, group[0].user_id, group[-1].user_id)
            ledger = load_ledger(connection, [c.cadre_id for c in group])
            clock.lap("read the store")
            desired: list[Credit] = []
            refused_by_cadre = {}
            for cadre in group:
                online, refused = completion_credits(cadre.cadre_id, completions.get(cadre.user_id, []), courses,
                                                     rules)
                away, refused_offline = offline_credits(offline.get(cadre.cadre_id, []), rules)
                earned = cap_online(online + away, rules)
                carried = carry_over(cadre, earned, rules, previous, span, exempt.get(cadre.cadre_id, []))
                desired += earned + ([carried] if carried else [])
                refused_by_cadre[cadre.cadre_id] = refused + refused_offline
            clock.lap("credits")
            entries, differences = postings(desired, standing_of(ledger), closed, period_label)
            clock.lap("ledger postings")
            _post(connection, entries, loaded.digest)
            reported += _report_differences(connection, differences)
            posted += len(entries)
            clock.lap("write the ledger")
            credits_by_cadre = _standing_credits(ledger + entries)
            results = [
                evaluate_cadre(cadre, credits_by_cadre.get(cadre.cadre_id, []),
                               {c.course_id: c for c in completions.get(cadre.user_id, [])},
                               refused_by_cadre.get(cadre.cadre_id, []), situation, exempt.get(cadre.cadre_id, []),
                               previous_shortfall=shortfalls.get(cadre.cadre_id))
                for cadre in group
            ]
            clock.lap("evaluate cadres")
            _store_results(connection, evaluation_id, results)
            for r in results:
                statuses[r.status] += 1
                flags += len(r.flags)
                tally.add(r)
            clock.lap("write results")
        connection.execute(update(evaluations).where(evaluations.c.id == evaluation_id).values(counts=dict(statuses)))
    return EvaluationSummary(evaluation_id, period_label, as_of, dict(statuses), flags, posted, reported,
                             tally.rates())


def _needs_shortfall(rules: Rules) -> bool:
    return any(getattr(r, "after", None) == "shortfall" for g in rules.groups.values() for r in g.requirements)


def _shortfalls(connection: Connection, label: str) -> dict[str, float]:
    """What each cadre fell short of the previous period's minimum, as its latest evaluation found it
    (make-up owed in this one). A previous period nobody evaluated owes nothing."""
    previous = str(int(label) - 1)
    latest = connection.execute(select(evaluations.c.id).where(evaluations.c.period == previous)
                                .order_by(evaluations.c.id.desc())).scalar()
    if latest is None:
        return {}
    return {r.cadre_id: round(r.required_hours - r.hours_online - r.hours_offline, 2)
            for r in connection.execute(select(evaluation_results).where(
                evaluation_results.c.evaluation_id == latest, evaluation_results.c.required_hours.is_not(None),
                evaluation_results.c.status.notin_(("exempt", "suspended"))))
            if r.required_hours - r.hours_online - r.hours_offline > 0.005}


def _post(connection: Connection, entries: list[Entry], rules_hash: str) -> None:
    if not entries:
        return
    now = datetime.now(UTC)
    connection.execute(insert(credit_entries), [
        {"cadre_id": e.cadre_id, "source": e.source, "period": e.period, "hours": e.hours, "online": e.online,
         "earned_at": e.earned_at, "kind": e.kind, "reason": e.reason, "rules_hash": rules_hash,
         "detail": e.detail, "created_at": now} for e in entries])


def _report_differences(connection: Connection, differences) -> int:
    """Record differences not yet known. A difference already pending or rejected is not reported
    again (an accepted one is in the ledger); a newer one for the same source supersedes a pending one."""
    known = {(r.period, r.cadre_id, r.source, r.new_hours): r.state for r in connection.execute(
        select(closing_differences).where(closing_differences.c.state.in_(("pending", "rejected"))))}
    fresh = [d for d in differences if (d.period, d.cadre_id, d.source, d.new_hours) not in known]
    if fresh:
        now = datetime.now(UTC)
        for d in fresh:
            connection.execute(update(closing_differences).where(
                closing_differences.c.period == d.period, closing_differences.c.cadre_id == d.cadre_id,
                closing_differences.c.source == d.source, closing_differences.c.state == "pending",
            ).values(state="superseded", decided_at=now))
        connection.execute(insert(closing_differences), [
            {"period": d.period, "cadre_id": d.cadre_id, "source": d.source, "certified_hours": d.certified_hours,
             "new_hours": d.new_hours, "new_online": d.new_online, "new_earned_at": d.new_earned_at,
             "found_at": now, "state": "pending"} for d in fresh])
    return len(fresh)


def _standing_credits(entries: list[Entry]) -> dict[str, list[Credit]]:
    """What the ledger credits each cadre, per source and period (adjustments included)."""
    result: dict[str, list[Credit]] = defaultdict(list)
    for (cadre_id, source, label), stand in standing_of(entries).items():
        if abs(stand.hours) >= 0.005:
            result[cadre_id].append(Credit(source, cadre_id, label, stand.hours, stand.online, stand.earned_at))
    return result


def _create_evaluation(connection: Connection, label: str, as_of: date, rules_hash: str,
                       exemptions_hash: str) -> int:
    return connection.execute(insert(evaluations).values(
        period=label, as_of=as_of, rules_hash=rules_hash, exemptions_hash=exemptions_hash,
        created_at=datetime.now(UTC), counts={})).inserted_primary_key[0]


def _store_results(connection: Connection, evaluation_id: int, results: list[CadreResult]) -> None:
    if results:
        connection.execute(insert(evaluation_results), [
            {"evaluation_id": evaluation_id, "cadre_id": r.cadre.cadre_id, "user_id": r.cadre.user_id,
             "name": r.cadre.name, "unit_code": r.cadre.unit_code, "unit_name": r.cadre.unit_name,
             "groups": r.groups, "status": r.status, "hours_online": r.hours_online,
             "hours_offline": r.hours_offline, "required_hours": r.required_hours} for r in results])
    flags = [{"evaluation_id": evaluation_id, "cadre_id": r.cadre.cadre_id, "kind": f.kind, "group_name": f.group,
              "rule": f.rule, "evidence": f.evidence} for r in results for f in r.flags]
    if flags:
        connection.execute(insert(evaluation_flags), flags)

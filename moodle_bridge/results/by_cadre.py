"""Cadres: the review page's list of flagged cadres (scoped, filtered, sorted, paged), one cadre's training file (or a
unit's), reviews."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, Select, desc, exists, func, literal_column, select

from ..rules.cadres import profile_day
from ..rules.evaluate import shortfall
from ..rules.facts import CompletionFact, CourseFacts
from ..rules.kinds.base import last_day
from ..rules.kinds.required_courses import CourseList
from ..rules.model import Cadres, Organisation
from ..rules.periods import period as period_of_label
from ..store.batches import where_in
from ..store.evaluation_io import load_completions, load_courses
from ..store.held import Held, held_by, held_in, same_version
from ..store.schema import (
    credit_entries,
    evaluation_flags,
    evaluation_results,
    evaluations,
    exemptions,
    mirror_users,
    review_events,
    unit_tallies,
)
from ._memo import evaluation_key, remembered
from .answers import (
    CadreFile,
    CadrePage,
    CadreQuery,
    CadreResult,
    Evaluation,
    ExemptionInForce,
    Flag,
    LedgerEntry,
    ReviewedCadre,
    ReviewEvent,
    ReviewState,
)
from .by_flag import cadre_flags
from .evaluations import evaluation, latest
from .judged_rules import judged_rules
from .scope import Scope, scoped
from .sources import credit_lines, named_sources
from .standing import MakeUpFacts, passed_courses, standings, windows
from .tallies import tallied
from .tree import unit_history, units_below

SORTS = {"name": evaluation_results.c.name, "unit": evaluation_results.c.unit_name,
         "status": evaluation_results.c.status,
         "hours": evaluation_results.c.hours_online + evaluation_results.c.hours_offline}


def review_states(connection: Connection) -> dict[str, ReviewState]:
    """Where each reviewed cadre's review stands: its latest 'reviewed' or 'excused' (a cadre not listed is open)."""
    rows = connection.execute(select(review_events.c.cadre_id, review_events.c.kind)
                              .where(review_events.c.kind.in_(("reviewed", "excused"))).order_by(review_events.c.id))
    return {r.cadre_id: "excused" if r.kind == "excused" else "reviewed" for r in rows}


def _flagged_query(held: Held, units: Scope, ask: CadreQuery, states: dict[str, ReviewState],
                   below: list[str] | None = None) -> Select[Any]:
    # The flagged results, in the order asked: one range of a partial index over them (``held_by``; the predicate a
    # literal, as the indexes' is, so that a generic plan matches it too). A flag of a kind or group: EXISTS on the
    # flags' index (cadre, period, until, kind), one probe a flagged result.
    query = scoped(select(evaluation_results).where(held(evaluation_results),
                                                    evaluation_results.c.flags > literal_column("0")), units)
    if ask.kind or ask.group:  # with the flags' own held range: a rare kind is read from its index (period, kind)
        query = query.where(exists().where(
            held(evaluation_flags), same_version(evaluation_flags, evaluation_results),
            *([evaluation_flags.c.kind == ask.kind] if ask.kind else []),
            *([evaluation_flags.c.group_name == ask.group] if ask.group else [])))
    if ask.unit_code:  # the unit and those below it (``below``, from the unit tree)
        query = query.where(evaluation_results.c.unit_code.in_(below) if below is not None
                            else evaluation_results.c.unit_code == ask.unit_code)
    if ask.search and ask.search.strip():
        needle = f"%{ask.search.strip()}%"
        query = query.where(evaluation_results.c.name.ilike(needle) | evaluation_results.c.cadre_id.ilike(needle))
    if ask.state == "open":
        query = query.where(evaluation_results.c.cadre_id.notin_(set(states)))
    elif ask.state in ("reviewed", "excused"):
        query = query.where(evaluation_results.c.cadre_id.in_({c for c, s in states.items() if s == ask.state}))
    return query


def _sorted(query: Select[Any], ask: CadreQuery) -> Select[Any]:
    sort = SORTS.get(ask.sort, SORTS["name"])
    if ask.descending:  # ties in the same direction: the index read backwards
        return query.order_by(desc(sort), desc(evaluation_results.c.cadre_id))
    return query.order_by(sort, evaluation_results.c.cadre_id)


def flagged_cadres(connection: Connection, evaluation_id: int, units: Scope = None, ask: CadreQuery | None = None,
                   limit: int | None = None, offset: int = 0) -> list[ReviewedCadre]:
    """The flagged cadres of an evaluation (within the scope) as the review page filters and sorts them, each with
    their flags and review state; `limit` and `offset` cut a page."""
    states = review_states(connection)
    ask = ask or CadreQuery()
    below = units_below(connection, evaluation_id, ask.unit_code) if ask.unit_code else None
    query = _sorted(_flagged_query(held_by(connection, evaluation_id), units, ask, states, below), ask)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    results = [CadreResult.from_row(r) for r in connection.execute(query)]
    found = _flags_of(connection, results)
    return [ReviewedCadre(result=r, flags=found[r.cadre_id], review=states.get(r.cadre_id, "open"))
            for r in results]


def _flags_of(connection: Connection, results: list[CadreResult]) -> dict[str, list[Flag]]:
    """The flags each result was raised with (the same version: ``held_by`` may have read a newer evaluation's)."""
    version = {r.cadre_id: r.judged_in for r in results}
    found: dict[str, list[Flag]] = {cadre_id: [] for cadre_id in version}
    for only in where_in(evaluation_flags.c.cadre_id, version):
        for f in connection.execute(select(evaluation_flags).where(
                *only, evaluation_flags.c.since_evaluation.in_(set(version.values())))
                .order_by(evaluation_flags.c.id)):
            if version[f.cadre_id] == f.since_evaluation:
                found[f.cadre_id].append(Flag.from_row(f))
    return found


def flagged_page(connection: Connection, evaluation_id: int, units: Scope = None, ask: CadreQuery | None = None,
                 page: int = 1, page_size: int = 50) -> CadrePage:
    """One page of `flagged_cadres`, with the total and the number of pages (at least one)."""
    page = max(1, page)
    ask = ask or CadreQuery()
    total = _tallied_total(connection, evaluation_id, units, ask)
    if total is None:
        states = review_states(connection)
        below = units_below(connection, evaluation_id, ask.unit_code) if ask.unit_code else None
        count = _flagged_query(lambda table: held_in(table, evaluation_id), units, ask, states,
                               below).with_only_columns(func.count(), maintain_column_froms=True)
        # No ORDER BY; exactly the evaluation's rows: remembered.
        # A total over 100,000 results costs 100-200 ms and changes only with the evaluation or the review states a
        # state filter reads: remembered (the page itself reads 50 rows by an index).
        relevant = None if ask.state is None else frozenset(states.items())
        key = evaluation_key(connection, "flagged total", evaluation_id, None if units is None else frozenset(units),
                             replace(ask, sort="name", descending=False), relevant)
        total = remembered(connection, key, lambda: connection.execute(count).scalar() or 0)
    rows = flagged_cadres(connection, evaluation_id, units, ask, limit=page_size, offset=(page - 1) * page_size)
    return CadrePage(rows=rows, total=total, page=page, pages=max(1, -(-total // page_size)))


def _tallied_total(connection: Connection, evaluation_id: int, units: Scope, ask: CadreQuery) -> int | None:
    """The flagged cadres asked for, from the units' tallies the evaluation keeps: every one, or those of a unit, with
    a flag of a kind or of a group; None when the tallies cannot tell (a search, a review state, a kind and a group
    at once, an older version's evaluation)."""
    if (ask.search and ask.search.strip()) or ask.state or (ask.kind and ask.group):
        return None
    if not tallied(connection, evaluation_id):
        return None
    if ask.unit_code:
        asked = units_below(connection, evaluation_id, ask.unit_code) or [ask.unit_code]
        units = [code for code in asked if units is None or code in units]
    counted = (unit_tallies.c.flagged_kinds[ask.kind].as_integer() if ask.kind
               else unit_tallies.c.flagged_groups[ask.group].as_integer() if ask.group else unit_tallies.c.flagged)
    query = select(func.coalesce(func.sum(counted), 0)).where(held_in(unit_tallies, evaluation_id))
    if units is not None:
        query = query.where(unit_tallies.c.unit_code.in_(list(units)))
    return int(connection.execute(query).scalar_one())


def cadre_result(connection: Connection, evaluation_id: int, cadre_id: str, units: Scope = None
                 ) -> CadreResult | None:
    """One cadre's result in an evaluation; None when not there or not in the scope (the same answer)."""
    row = connection.execute(scoped(select(evaluation_results).where(
        held_in(evaluation_results, evaluation_id), evaluation_results.c.cadre_id == cadre_id), units)).first()
    return None if row is None else CadreResult.from_row(row)


class _Shared:
    """What every training file of one evaluation reads alike: the rules that judged, the mirror's courses."""

    def __init__(self, connection: Connection, evaluation: Evaluation) -> None:
        self.rules = judged_rules(connection, evaluation.rules_hash)
        self.connection = connection
        self._courses: dict[int, CourseFacts] | None = None

    @property
    def courses(self) -> dict[int, CourseFacts]:
        if self._courses is None:
            self._courses = load_courses(self.connection, CourseFacts)
        return self._courses


def _exemptions(connection: Connection, cadre_id: str, first: date, last: date) -> list[ExemptionInForce]:
    """The cadre's exemptions in force that overlap the days from ``first`` to ``last``."""
    return [ExemptionInForce(r.reason, r.start, r.end, r.effect, r.source) for r in connection.execute(
        select(exemptions).where(exemptions.c.cadre_id == cadre_id, exemptions.c.withdrawn_at.is_(None),
                                 exemptions.c.start <= last, exemptions.c.end >= first).order_by(exemptions.c.start))]


def _shortfall_before(connection: Connection, cadre_id: str, label: str) -> float | None:
    """Hours the cadre fell short of the previous period's minimum, as its latest evaluation found them."""
    before = evaluation(connection, str(int(label) - 1)) if label.isdigit() else None
    found = cadre_result(connection, before.id, cadre_id) if before else None
    return (shortfall(found.status, found.required_hours, found.hours) or None) if found else None


def _passed(connection: Connection, current: Evaluation, result: CadreResult, shared: _Shared) -> frozenset[int]:
    """The courses the cadre completed (by the evaluation's making: none completed since) and passed."""
    made = current.created_at.replace(tzinfo=current.created_at.tzinfo or UTC).timestamp()  # SQLite: naive UTC
    done = [c for c in load_completions(connection, [result.user_id], CompletionFact)
            .get(result.user_id, []) if c.time_completed <= made]
    return passed_courses(done, shared.courses, shared.rules) if shared.rules else frozenset()


def _file(connection: Connection, current: Evaluation, result: CadreResult, shared: _Shared) -> CadreFile:
    """The file as the evaluation saw it: its figures, with the ledger as it stood then (nothing posted since)."""
    rules = shared.rules
    user = connection.execute(select(mirror_users.c.profile).where(mirror_users.c.id == result.user_id)).first()
    profile = dict(user.profile or {}) if user else {}
    entries = cadre_ledger(connection, result.cadre_id, upto=current)
    flags = cadre_flags(connection, current.id, [result.cadre_id])[result.cadre_id]
    organisation, spec = (rules.organisation, rules.cadres) if rules else (Organisation(), Cadres())
    sources = named_sources(connection, result.user_id, entries)
    credits = credit_lines(entries, sources, organisation.timezone)
    lists = rules is not None and any(isinstance(r, CourseList) for g in result.groups if g in rules.groups
                                      for r in rules.groups[g].requirements)
    promoted = profile_day(profile.get(spec.promoted_field)) if spec.promoted_field else None
    before = _shortfall_before(connection, result.cadre_id, current.period)
    standing = standings(rules, current, result, flags, credits, shared.courses if lists else {},
                         MakeUpFacts(promoted, before), _passed(connection, current, result, shared) if lists else ())
    span = period_of_label(current.period, organisation) if current.period.isdigit() else None
    zone = ZoneInfo(organisation.timezone)
    return CadreFile(
        evaluation=current, result=result, profile=profile, entries=entries, flags=flags,
        period_hours=round(sum(e.hours for e in entries if e.period == current.period), 2), rules=rules,
        sources=sources, credits=credits, requirements=standing, windows=windows(standing, credits),
        exemptions=_exemptions(connection, result.cadre_id, datetime.fromtimestamp(span.start, zone).date(),
                               last_day(span.end, organisation)) if span else [],
        shortfall_before=before, units=unit_history(connection, result.cadre_id, current.id),
        rank=profile.get(spec.rank_field), category=profile.get(spec.category_field),
        joined=profile_day(profile.get(spec.joined_field)) if spec.joined_field else None,
        promoted=promoted, timezone=organisation.timezone)


def cadre_file(connection: Connection, cadre_id: str, period: str | None = None, units: Scope = None) -> CadreFile:
    """One cadre's training file in the latest evaluation (of a period). Raises NoEvaluation, or KeyError when the
    cadre is not in it or not in the scope (the same answer)."""
    current = latest(connection, period)
    result = cadre_result(connection, current.id, cadre_id, units)
    if result is None:
        raise KeyError(cadre_id)
    return _file(connection, current, result, _Shared(connection, current))


def unit_files(connection: Connection, unit: str, period: str | None = None, units: Scope = None) -> list[CadreFile]:
    """The training files of every cadre of a unit (its code or name) and of the units below it, in the latest
    evaluation (of a period), by name. Raises NoEvaluation, or KeyError when the unit has no cadre there or is not
    in the scope."""
    current = latest(connection, period)
    below = units_below(connection, current.id, unit)
    if below is not None and units is not None and not set(below) <= set(units):  # a unit above the reviewer's
        raise KeyError(unit)
    found = [CadreResult.from_row(r) for r in connection.execute(scoped(select(evaluation_results).where(
        held_in(evaluation_results, current.id),
        evaluation_results.c.unit_code.in_(below) if below is not None
        else (evaluation_results.c.unit_code == unit) | (evaluation_results.c.unit_name == unit)), units)
        .order_by(evaluation_results.c.name, evaluation_results.c.cadre_id))]
    if not found:
        raise KeyError(unit)
    shared = _Shared(connection, current)
    return [_file(connection, current, result, shared) for result in found]


def _posted_by(upto: Evaluation) -> ColumnElement[bool]:
    """The ledger entries ``upto`` saw or posted. Its own postings follow its row in its transaction (written later
    than its created_at); only evaluations post with a rules hash, and the next evaluation began after it ended. Both
    sides of each comparison are the store's own timestamps (SQLite keeps them as text of one format)."""
    began = select(evaluations.c.created_at).where(evaluations.c.id == upto.id).scalar_subquery()
    following = select(func.min(evaluations.c.created_at)).where(evaluations.c.id > upto.id).scalar_subquery()
    return (credit_entries.c.created_at <= began) | (credit_entries.c.rules_hash.is_not(None) & (
        following.is_(None) | (credit_entries.c.created_at < following)))


def cadre_ledger(connection: Connection, cadre_id: str, upto: Evaluation | None = None) -> list[LedgerEntry]:
    """Every ledger entry of a cadre (every period's), in the order posted; ``upto``: only those posted up to that
    evaluation (what it judged by: a staff adjustment or a later evaluation's reversal since is not there)."""
    return [LedgerEntry(**r._mapping) for r in connection.execute(
        select(credit_entries).where(credit_entries.c.cadre_id == cadre_id, *([_posted_by(upto)] if upto else []))
        .order_by(credit_entries.c.id))]


def review_history(connection: Connection, cadre_id: str) -> list[ReviewEvent]:
    """A cadre's review events, newest first."""
    return [ReviewEvent(**r._mapping) for r in connection.execute(
        select(review_events).where(review_events.c.cadre_id == cadre_id).order_by(review_events.c.id.desc()))]

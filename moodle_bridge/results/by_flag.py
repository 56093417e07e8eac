"""The flags of an evaluation: filtered, by cadre, grouped by unit, and the diff between two evaluations."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import Connection, exists, select

from ..store.batches import where_in
from ..store.held import held_in
from ..store.schema import evaluation_flags, evaluation_results
from .answers import (
    CadreFlags,
    CadreResult,
    Flag,
    FlagDiff,
    FlagFilter,
    FlaggedByUnit,
    FlaggedCadre,
    FlaggedUnit,
    FlagRow,
)
from .evaluations import evaluation, latest
from .tree import units_below


def results_by_cadre(connection: Connection, evaluation_id: int,
                     cadre_ids: Iterable[str] | None = None) -> dict[str, CadreResult]:
    """Every result of an evaluation (or those of ``cadre_ids``), by cadre id."""
    query = select(evaluation_results).where(held_in(evaluation_results, evaluation_id))
    return {r.cadre_id: CadreResult.from_row(r) for only in where_in(evaluation_results.c.cadre_id, cadre_ids)
            for r in connection.execute(query.where(*only))}


def flags(connection: Connection, evaluation_id: int, where: FlagFilter | None = None) -> list[FlagRow]:
    """The flags of an evaluation with their cadres, in the order written, filtered by unit (with the units below
    it), group and kind."""
    return _flag_rows(connection, evaluation_id, results_by_cadre(connection, evaluation_id), where or FlagFilter())


def _flag_rows(connection: Connection, evaluation_id: int, results: dict[str, CadreResult],
               where: FlagFilter) -> list[FlagRow]:
    rows = []
    below = set(units_below(connection, evaluation_id, where.unit) or []) if where.unit else set()
    for f in connection.execute(select(evaluation_flags).where(held_in(evaluation_flags, evaluation_id))
                                .order_by(evaluation_flags.c.id)):
        cadre = results[f.cadre_id]
        if ((where.unit and where.unit not in (cadre.unit_code, cadre.unit_name) and cadre.unit_code not in below)
                or (where.group and f.group_name != where.group) or (where.kind and f.kind != where.kind)):
            continue
        rows.append(FlagRow(cadre_id=f.cadre_id, name=cadre.name, unit_code=cadre.unit_code,
                            unit_name=cadre.unit_name, status=cadre.status, kind=f.kind, group=f.group_name,
                            rule=f.rule, evidence=f.evidence))
    return rows


def flag_diff(connection: Connection, current: int, previous: int | None,
              where: FlagFilter | None = None) -> FlagDiff:
    """What changed between two evaluations: flags new in `current`, flags of `previous` resolved since."""
    now = flags(connection, current, where)
    before = flags(connection, previous, where) if previous is not None else []
    now_keys, old_keys = {r.key for r in now}, {r.key for r in before}
    return FlagDiff(current=current, previous=previous, new=[r for r in now if r.key not in old_keys],
                    resolved=[r for r in before if r.key not in now_keys])


def cadre_flags(connection: Connection, evaluation_id: int, cadre_ids: Iterable[str]) -> dict[str, list[Flag]]:
    """The flags of each of these cadres in an evaluation (an empty list for a cadre without any)."""
    wanted = list(cadre_ids)
    found: dict[str, list[Flag]] = {c: [] for c in wanted}
    for f in connection.execute(select(evaluation_flags).where(
            held_in(evaluation_flags, evaluation_id), evaluation_flags.c.cadre_id.in_(wanted))
            .order_by(evaluation_flags.c.id)):
        found[f.cadre_id].append(Flag.from_row(f))
    return found


def flagged(connection: Connection, period: str | None = None, unit: str | None = None) -> FlaggedByUnit:
    """The latest evaluation's flagged cadres grouped by unit (by name), each with their flags; `unit` (code or
    name) keeps one. Raises NoEvaluation."""
    current = latest(connection, period)
    results = results_by_cadre(connection, current.id)
    by_unit: dict[str, tuple[str, dict[str, FlaggedCadre]]] = {}
    for row in _flag_rows(connection, current.id, results, FlagFilter(unit=unit)):
        cadre = results[row.cadre_id]
        _name, cadres = by_unit.setdefault(cadre.unit_code, (cadre.unit_name, {}))
        person = cadres.setdefault(cadre.cadre_id, FlaggedCadre(
            cadre_id=cadre.cadre_id, name=cadre.name, status=cadre.status, hours=round(cadre.hours, 1),
            required=cadre.required_hours, flags=[]))
        person.flags.append(Flag(kind=row.kind, rule=row.rule, group=row.group, evidence=row.evidence))
    answer = [FlaggedUnit(code=code, name=name, cadres=sorted(cadres.values(), key=lambda c: c.name))
              for code, (name, cadres) in by_unit.items()]
    return FlaggedByUnit(evaluation=current, units=sorted(answer, key=lambda u: u.name))


def flags_for_actions(connection: Connection, kinds: Collection[str] | None = None) -> list[CadreFlags]:
    """What the write-backs to Moodle act on: the latest evaluation's (whatever its period) cadres with flags of
    these kinds (None: any kind), by cadre id, each with those flags in the order written; none before any
    evaluation."""
    current = evaluation(connection)
    if current is None:
        return []
    query = select(evaluation_flags).where(held_in(evaluation_flags, current.id))
    if kinds is not None:
        query = query.where(evaluation_flags.c.kind.in_(list(kinds)))
    found: dict[str, list[Flag]] = {}
    for f in connection.execute(query.order_by(evaluation_flags.c.id)):
        found.setdefault(f.cadre_id, []).append(Flag.from_row(f))
    if not found:
        return []
    results = results_by_cadre(connection, current.id)
    return [CadreFlags(evaluation=current, result=results[cadre_id], flags=found[cadre_id])
            for cadre_id in sorted(found)]


def flagged_users(connection: Connection, limit: int) -> list[int]:
    """The Moodle user ids of the latest evaluation's flagged cadres, lowest first, at most `limit`."""
    current = evaluation(connection)
    if current is None:
        return []
    return list(connection.execute(
        select(evaluation_results.c.user_id).where(
            held_in(evaluation_results, current.id),
            exists().where(held_in(evaluation_flags, current.id),
                           evaluation_flags.c.cadre_id == evaluation_results.c.cadre_id))
        .order_by(evaluation_results.c.user_id).limit(limit)).scalars())

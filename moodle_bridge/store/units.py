"""Rows of the unit tree and of the units cadres belonged to (0015): what the sources of a tree hold, the trees
evaluations used, the units file, and the memberships seen in Moodle or given by the transfers file."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from .schema import (
    cadre_changes,
    evaluations,
    mirror_cohorts,
    mirror_users,
    unit_memberships,
    unit_trees,
    units_file,
)

TreeRow = Sequence[str | None]  # [code, name, parent code]


def live_cohorts(connection: Connection) -> list[tuple[str, str, Mapping[str, Any] | None]]:
    """(code, name, custom fields) of every live cohort, by id; a code is the Cohort ID, else the cohort's id (as
    ``evaluation_io.load_people`` gives a cadre's cohorts)."""
    return [(r.idnumber or str(r.id), r.name, r.customfields) for r in connection.execute(
        select(mirror_cohorts.c.id, mirror_cohorts.c.idnumber, mirror_cohorts.c.name, mirror_cohorts.c.customfields)
        .where(mirror_cohorts.c.gone_at.is_(None)).order_by(mirror_cohorts.c.id))]


def profile_values(connection: Connection, field: str) -> set[str]:
    """The values of a profile field among the live cadres (a user with a cadre id)."""
    query = select(mirror_users.c.profile).where(mirror_users.c.gone_at.is_(None),
                                                 mirror_users.c.cadre_id.is_not(None))
    return {str(profile[field]) for (profile,) in connection.execute(query) if profile and profile.get(field)}


def units_file_rows(connection: Connection) -> list[TreeRow]:
    return [[r.code, r.name, r.parent_code] for r in connection.execute(select(units_file).order_by(units_file.c.code))]


def replace_units_file(connection: Connection, rows: Iterable[TreeRow], file_name: str) -> int:
    """The units file's rows replace those imported before; how many there are now."""
    now = datetime.now(UTC)
    values = [{"code": code, "name": name, "parent_code": parent, "file_name": file_name, "imported_at": now}
              for code, name, parent in rows]
    connection.execute(delete(units_file))
    if values:
        connection.execute(insert(units_file), values)
    return len(values)


def keep_tree(connection: Connection, digest: str, rows: Sequence[TreeRow]) -> None:
    """A tree an evaluation used, once per fingerprint."""
    if connection.execute(select(unit_trees.c.digest).where(unit_trees.c.digest == digest)).first() is None:
        connection.execute(insert(unit_trees).values(digest=digest, units=[list(r) for r in rows],
                                                     first_used_at=datetime.now(UTC)))


def set_evaluation_tree(connection: Connection, evaluation_id: int, digest: str | None, placing: str) -> None:
    connection.execute(update(evaluations).where(evaluations.c.id == evaluation_id).values(
        unit_tree=digest, unit_placing=placing))


def last_day_evaluated(connection: Connection) -> date | None:
    """The latest as-of day of any evaluation: Moodle's units are noted by evaluations not of an earlier day."""
    day: date | None = connection.execute(select(func.max(evaluations.c.as_of))).scalar()
    return day


def tree_rows(connection: Connection, evaluation_id: int) -> list[TreeRow]:
    """The tree an evaluation used ([] for flat units, or an older version's evaluation)."""
    rows = connection.execute(select(unit_trees.c.units).select_from(
        evaluations.join(unit_trees, unit_trees.c.digest == evaluations.c.unit_tree))
        .where(evaluations.c.id == evaluation_id)).scalar()
    return list(rows or [])


class MembershipRow(NamedTuple):
    id: int
    cadre_id: str
    unit_code: str
    valid_from: date | None
    valid_to: date | None
    source: str


def memberships(connection: Connection, cadre_ids: Iterable[str] | None = None) -> dict[str, list[MembershipRow]]:
    """Every membership row of the cadres (or of everyone), by cadre, in the order they start."""
    query = select(unit_memberships.c.id, unit_memberships.c.cadre_id, unit_memberships.c.unit_code,
                   unit_memberships.c.valid_from, unit_memberships.c.valid_to, unit_memberships.c.source)
    found: dict[str, list[MembershipRow]] = defaultdict(list)
    chunks: Iterable[list[str] | None] = [None] if cadre_ids is None else _chunks(list(cadre_ids))
    for chunk in chunks:
        where = [] if chunk is None else [unit_memberships.c.cadre_id.in_(chunk)]
        for r in connection.execute(query.where(*where).order_by(  # "since ever" first, on every database
                unit_memberships.c.cadre_id, unit_memberships.c.valid_from.asc().nulls_first(), unit_memberships.c.id)):
            found[r.cadre_id].append(MembershipRow(*r))
    return found


def _chunks(items: list[str], size: int = 5_000) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def record_sightings(connection: Connection, closes: Mapping[int, date], opens: Sequence[tuple[str, str, date | None]],
                     renames: Mapping[int, str] | None = None) -> None:
    """Moodle's memberships as an evaluation saw them: the spells (by id) that end on a day, those whose unit is
    known by another code now, the new spells (cadre id, unit code, from; None: since ever)."""
    if closes:
        connection.execute(update(unit_memberships).where(unit_memberships.c.id == bindparam("spell"))
                           .values(valid_to=bindparam("last_day")),
                           [{"spell": spell, "last_day": day} for spell, day in closes.items()])
    if renames:
        connection.execute(update(unit_memberships).where(unit_memberships.c.id == bindparam("spell"))
                           .values(unit_code=bindparam("code")),
                           [{"spell": spell, "code": code} for spell, code in renames.items()])
    if opens:
        now = datetime.now(UTC)
        connection.execute(insert(unit_memberships), [
            {"cadre_id": cadre_id, "unit_code": unit, "valid_from": start, "valid_to": None, "source": "moodle",
             "file_name": None, "recorded_at": now} for cadre_id, unit, start in opens])


def cohort_names(connection: Connection, codes: Iterable[str]) -> dict[str, str]:
    """The names of the live cohorts of these codes (a Cohort ID, else a cohort's id)."""
    wanted = set(codes)
    found = {r.idnumber or str(r.id): r.name for r in connection.execute(
        select(mirror_cohorts.c.id, mirror_cohorts.c.idnumber, mirror_cohorts.c.name).where(
            mirror_cohorts.c.gone_at.is_(None),
            mirror_cohorts.c.idnumber.in_(wanted) | mirror_cohorts.c.id.in_([int(c) for c in wanted if c.isdigit()])))}
    return {code: name for code, name in found.items() if code in wanted}


def judge_next_time(connection: Connection, cadre_ids: Sequence[str]) -> None:
    """Have the next evaluation judge these cadres again (as a change of their facts would)."""
    if cadre_ids:
        statement = insert(cadre_changes)
        if connection.dialect.name == "sqlite":  # a cadre is recorded once there (a unique index)
            statement = statement.prefix_with("OR IGNORE")
        connection.execute(statement, [{"cadre_id": cadre_id} for cadre_id in cadre_ids])


def clear_transfers(connection: Connection, cadre_ids: Sequence[str]) -> int:
    """The transfers file's moves of these cadres forgotten (Moodle says their unit again); how many rows."""
    return connection.execute(delete(unit_memberships).where(unit_memberships.c.source == "file",
                                                              unit_memberships.c.cadre_id.in_(list(cadre_ids)))
                              ).rowcount or 0


def replace_transfers(connection: Connection, moves: Sequence[tuple[str, str, date, date | None]],
                      file_name: str) -> int:
    """A transfers file's spells (cadre id, unit code, from, to) replace those the file gave before for the same
    cadres (a cadre's rows in the file are their moves); how many cadres it names."""
    cadres = sorted({cadre_id for cadre_id, *_rest in moves})
    for chunk in _chunks(cadres):
        connection.execute(delete(unit_memberships).where(unit_memberships.c.source == "file",
                                                          unit_memberships.c.cadre_id.in_(chunk)))
    now = datetime.now(UTC)
    if moves:
        connection.execute(insert(unit_memberships), [
            {"cadre_id": cadre_id, "unit_code": unit, "valid_from": start, "valid_to": end, "source": "file",
             "file_name": file_name, "recorded_at": now} for cadre_id, unit, start, end in moves])
    return len(cadres)

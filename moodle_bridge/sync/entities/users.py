"""Users: everyone in a cohort or enrolled as a student, looked up in chunks; then the leavers.

The road says which ID numbers to look up (the report's users) and whether enrolments widen the
scope (the API roads). "Gone" is never inferred from a lookup that leaves someone out: Moodle also
leaves out users the caller may not see. Users who really left drop out of every cohort and
course: the leavers step finds them and asks Moodle about them by id.
"""

from __future__ import annotations

import hashlib
from functools import partial
from typing import Any

import structlog
from sqlalchemy import Connection

from ...i18n import N_
from ...moodle.models import User
from ...store import mirror, mirror_reads
from ...store.diff import Changes, Row, diff
from ...store.schema import mirror_users
from ..rows import has_markup, looks_deleted, user_row
from ..runner import Partition, Run

log = structlog.get_logger("moodle_bridge.sync")

# The entities that make the users' scope; when one failed, the scope is incomplete and no one is
# called a leaver. The entity table lists them as what users need.
SCOPE = ("cohorts", "enrolments")
PROFILES_CHUNK = 1000  # profiles report rows applied per partition


def sync(run: Run, idnumbers: list[str], scope_enrolled: bool, profiles: list[Row] | None = None,
         only_new: bool = False) -> None:
    """Look up ``idnumbers``, then everyone in scope not found by them, then the leavers.
    ``scope_enrolled``: enrolled users are in scope (on the report road the report names them).
    ``profiles``: users read from the profiles report, applied first (those in scope or named);
    only whom they lack is looked up. ``only_new`` (an incremental read): only users the mirror
    does not hold yet are looked up (the others wait for the next full read)."""
    chunk = run.settings.sync.user_chunk
    wanted = set(idnumbers)
    with run.connection() as connection:
        scope_ids = mirror_reads.cohort_member_ids(connection)
        if scope_enrolled:
            scope_ids |= mirror_reads.enrolled_user_ids(connection)
        held = mirror_reads.live_user_ids(connection) if only_new else set()
        skip = {i for _id, i in mirror_reads.live_user_idnumbers(connection)} if only_new else set()
    chosen = [p for p in profiles or [] if p["id"] in scope_ids or p["id"] in held or p["idnumber"] in wanted]
    covered = {p["id"] for p in chosen}
    skip |= {p["idnumber"] for p in chosen if p["idnumber"]}
    parts = [chosen[i:i + PROFILES_CHUNK] for i in range(0, len(chosen), PROFILES_CHUNK)]
    lookup = [i for i in idnumbers if i not in skip]
    id_chunks = [lookup[i:i + chunk] for i in range(0, len(lookup), chunk)]
    total = len(parts) + len(id_chunks) + -(-len(scope_ids) // chunk) + 1
    run.progress.start("users", total)
    run.partitions("users", [
        Partition(_chunk_key("profiles", [p["id"] for p in part]), partial(_same, part), partial(_apply_rows, run))
        for part in parts])
    run.partitions("users", [
        Partition(_chunk_key("idnumber", values), partial(_lookup, run, "idnumber", values),
                  partial(_apply, run, "idnumber", values))
        for values in id_chunks])
    with run.connection() as connection:  # who the idnumber lookups (or the profiles) found
        found = {user_id for user_id, idnumber in mirror_reads.live_user_idnumbers(connection) if idnumber in wanted}
    found |= covered
    by_id = sorted(scope_ids - found - held)
    run.partitions("users", [
        Partition(_chunk_key("id", values), partial(_lookup, run, "id", values), partial(_apply, run, "id", values))
        for values in (by_id[i:i + chunk] for i in range(0, len(by_id), chunk))])
    upstream = set(SCOPE) & run.failed
    if upstream:  # the scope is incomplete: do not call anyone a leaver
        log.warning("sync.leavers_skipped", because=sorted(upstream))
        return
    _leavers(run, found | scope_ids)


def _same(rows: list[Row]) -> list[Row]:
    return rows


def _lookup(run: Run, field: str, values: list[Any]) -> list[User]:
    users: list[User] = run.client.call("core_user_get_users_by_field", field=field, values=values)
    return users


def _apply(run: Run, field: str, values: list[Any], connection: Connection, users: list[User]) -> dict[str, Changes]:
    # One read of the mirror's rows: the ones asked about and the ones Moodle answered.
    asked = list(values) if field == "id" else []
    existing = mirror.load_keys(connection, mirror_users, sorted({*asked, *(u.id for u in users)}))
    deleted = [u.id for u in users if looks_deleted(u, (existing.get(u.id) or {}).get("username"))]
    users = [u for u in users if u.id not in deleted]
    fresh = {u.id: user_row(u, run.settings.sync.cadre_id_field) for u in users}
    oddities = run.summary.oddities
    oddities[N_("users without a cadre id")] += sum(1 for r in fresh.values() if not r["cadre_id"])
    oddities[N_("users with HTML in the name")] += sum(
        1 for u in users if has_markup(u.firstname) or has_markup(u.lastname))
    # Not returned proves nothing (see the module's docstring); a deleted user's remains do.
    gone = [u for u in deleted if u in existing]
    if field == "id":
        oddities[N_("users Moodle did not show (kept as last known)")] += sum(
            1 for v in values if v not in fresh and v not in deleted)
    else:
        oddities[N_("report users Moodle did not find")] += len(set(values) - {u.idnumber for u in users})
    changes = diff(existing, fresh, gone_candidates=gone)
    mirror.apply(connection, mirror_users, changes, "deleted")
    return {"users": changes}


def _apply_rows(run: Run, connection: Connection, fresh_rows: list[Row]) -> dict[str, Changes]:
    """Users read from the profiles report, applied like looked-up ones (it never shows a deleted one)."""
    fresh = {r["id"]: r for r in fresh_rows}
    existing = mirror.load_keys(connection, mirror_users, sorted(fresh))
    oddities = run.summary.oddities
    oddities[N_("users without a cadre id")] += sum(1 for r in fresh_rows if not r["cadre_id"])
    oddities[N_("users with HTML in the name")] += sum(
        1 for r in fresh_rows if has_markup(r["firstname"]) or has_markup(r["lastname"]))
    changes = diff(existing, fresh, gone_candidates=[])
    mirror.apply(connection, mirror_users, changes, "deleted")
    return {"users": changes}


def _leavers(run: Run, in_scope: set[int]) -> None:
    with run.connection() as connection:
        leaving = sorted(mirror_reads.live_user_ids(connection) - in_scope)
    chunk = run.settings.sync.user_chunk
    run.partitions("users", [
        Partition(_chunk_key("leavers", values), partial(_lookup, run, "id", values), partial(_apply_leavers, values))
        for values in (leaving[i:i + chunk] for i in range(0, len(leaving), chunk))])


def _apply_leavers(values: list[int], connection: Connection, users: list[User]) -> dict[str, Changes]:
    existing = mirror.load_keys(connection, mirror_users, list(values))
    # Moodle still returns a deleted user by id, rewritten (see looks_deleted).
    still = {u.id for u in users if not looks_deleted(u, (existing.get(u.id) or {}).get("username"))}
    left = Changes(gone=[u for u in values if u in still and existing[u]["gone_at"] is None])
    deleted = Changes(gone=[u for u in values if u not in still and existing[u]["gone_at"] is None])
    mirror.apply(connection, mirror_users, left, "left")
    mirror.apply(connection, mirror_users, deleted, "deleted")
    return {"users": Changes(gone=left.gone + deleted.gone)}


def _chunk_key(kind: str, values: list[Any]) -> str:
    """A partition key for a chunk of users: short whatever the ID numbers, the same on resume."""
    digest = hashlib.sha1("\x1f".join(map(str, values)).encode()).hexdigest()[:16]
    return f"{kind}:{len(values)}:{digest}"

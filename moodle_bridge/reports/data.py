"""What the reports show, read from the store as plain data (lists and dicts)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, select

from ..store.schema import credit_entries, evaluation_flags, evaluation_results, evaluations, mirror_users

STATUS_ORDER = ("compliant", "on_track", "at_risk", "non_compliant", "exempt", "suspended")


class NoEvaluation(Exception):
    """There is no evaluation to report on (for that period)."""


def evaluation(connection: Connection, period: str | None = None, offset: int = 0) -> dict | None:
    query = select(evaluations).order_by(evaluations.c.id.desc())
    if period:
        query = query.where(evaluations.c.period == period)
    row = connection.execute(query.offset(offset).limit(1)).first()
    return None if row is None else dict(row._mapping)


def _latest(connection: Connection, period: str | None) -> dict:
    found = evaluation(connection, period)
    if found is None:
        raise NoEvaluation(period)
    return found


def units(connection: Connection, period: str | None = None, unit: str | None = None) -> dict[str, Any]:
    """Per unit: cadres by status, completion rate, hours per cadre, change since the previous evaluation."""
    current = _latest(connection, period)
    previous = evaluation(connection, current["period"], offset=1)
    rows = _unit_rows(connection, current["id"])
    before = _unit_rows(connection, previous["id"]) if previous else {}
    result = []
    for code, row in sorted(rows.items(), key=lambda item: item[1]["name"]):
        if unit and unit not in (code, row["name"]):
            continue
        old = before.get(code, {}).get("completion_rate")
        row["change"] = None if old is None or row["completion_rate"] is None else round(
            row["completion_rate"] - old, 4)
        result.append({"code": code, **row})
    return {"evaluation": current, "previous": previous, "units": result}


def _unit_rows(connection: Connection, evaluation_id: int) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = defaultdict(lambda: {**dict.fromkeys(STATUS_ORDER, 0), "hours": 0.0})
    for r in connection.execute(select(evaluation_results).where(evaluation_results.c.evaluation_id == evaluation_id)):
        row = rows[r.unit_code]
        row["name"] = r.unit_name
        row[r.status] += 1
        if r.status != "suspended":
            row["hours"] += r.hours_online + r.hours_offline
    for row in rows.values():
        cadres = sum(row[s] for s in STATUS_ORDER if s != "suspended")
        counted = cadres - row["exempt"]
        row["cadres"] = cadres
        row["completion_rate"] = round(row["compliant"] / counted, 4) if counted else None
        row["hours_per_cadre"] = round(row.pop("hours") / cadres, 1) if cadres else 0.0
    return rows


def flagged(connection: Connection, period: str | None = None, unit: str | None = None) -> dict[str, Any]:
    """Flagged cadres grouped by unit, each with their flags and evidence."""
    current = _latest(connection, period)
    results = {r.cadre_id: r for r in connection.execute(
        select(evaluation_results).where(evaluation_results.c.evaluation_id == current["id"]))}
    by_unit: dict[str, dict[str, Any]] = {}
    for f in connection.execute(select(evaluation_flags).where(evaluation_flags.c.evaluation_id == current["id"])
                                .order_by(evaluation_flags.c.id)):
        cadre = results[f.cadre_id]
        if unit and unit not in (cadre.unit_code, cadre.unit_name):
            continue
        group = by_unit.setdefault(cadre.unit_code, {"code": cadre.unit_code, "name": cadre.unit_name, "cadres": {}})
        person = group["cadres"].setdefault(cadre.cadre_id, {
            "cadre_id": cadre.cadre_id, "name": cadre.name, "status": cadre.status,
            "hours": round(cadre.hours_online + cadre.hours_offline, 1), "required": cadre.required_hours,
            "flags": []})
        person["flags"].append({"kind": f.kind, "rule": f.rule, "group": f.group_name, "evidence": f.evidence})
    units_list = sorted(by_unit.values(), key=lambda u: u["name"])
    for group in units_list:
        group["cadres"] = sorted(group["cadres"].values(), key=lambda c: c["name"])
    return {"evaluation": current, "units": units_list}


def cadre_file(connection: Connection, cadre_id: str, period: str | None = None) -> dict[str, Any]:
    """One cadre's training file: attributes, every ledger entry, the result and its flags."""
    current = _latest(connection, period)
    result = connection.execute(select(evaluation_results).where(
        evaluation_results.c.evaluation_id == current["id"], evaluation_results.c.cadre_id == cadre_id)).first()
    if result is None:
        raise KeyError(cadre_id)
    user = connection.execute(select(mirror_users).where(mirror_users.c.id == result.user_id)).first()
    entries = [dict(r._mapping) for r in connection.execute(
        select(credit_entries).where(credit_entries.c.cadre_id == cadre_id).order_by(credit_entries.c.id))]
    flags = [{"kind": f.kind, "rule": f.rule, "group": f.group_name, "evidence": f.evidence}
             for f in connection.execute(select(evaluation_flags).where(
                 evaluation_flags.c.evaluation_id == current["id"], evaluation_flags.c.cadre_id == cadre_id))]
    return {"evaluation": current, "result": dict(result._mapping), "profile": dict(user.profile) if user else {},
            "entries": entries, "flags": flags,
            "period_hours": round(sum(e["hours"] for e in entries if e["period"] == current["period"]), 2)}

"""Write each cadre's credited hours into a Moodle profile field (core_user_update_users).

Moodle answers an empty warnings list even for a profile field the site does not have, so
`--apply` reads every user back and logs a value it cannot see as unconfirmed, never as done.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypedDict

from sqlalchemy import Engine

from .. import results
from ..moodle import MoodleClient, MoodleError
from . import ActionRow, acting_client, record


class HoursPlan(TypedDict):
    """One cadre's credited hours of the latest evaluation, as the profile field's text."""

    cadre_id: str
    user_id: int
    value: str
    period: str


def plan(engine: Engine) -> list[HoursPlan]:
    with engine.connect() as connection:
        latest = results.evaluation(connection)
        if latest is None:
            return []
        found = results.results_by_cadre(connection, latest.id)
    return [{"cadre_id": r.cadre_id, "user_id": r.user_id, "value": f"{r.hours_online + r.hours_offline:g}",
             "period": latest.period}
            for r in found.values() if r.status != "suspended"]


def apply(engine: Engine, client: MoodleClient | None, plans: list[HoursPlan], field: str, dry_run: bool,
          batch: int = 50) -> list[ActionRow]:
    """Log every plan; with dry_run False, write, read back and log what Moodle shows.

    ``client`` may be None for a dry run only."""
    seen: dict[int, str | None] = {}
    failed: dict[int, str] = {}
    if not dry_run:
        moodle = acting_client(client)
        for start in range(0, len(plans), batch):
            chunk = plans[start:start + batch]
            try:
                moodle.call("core_user_update_users", users=[
                    {"id": p["user_id"], "customfields": [{"type": field, "value": p["value"]}]} for p in chunk])
                for user in moodle.call("core_user_get_users_by_field", field="id",
                                        values=[p["user_id"] for p in chunk]):
                    seen[user.id] = user.profile_field(field)
            except MoodleError as exc:
                failed.update({p["user_id"]: str(exc) for p in chunk})
    now = datetime.now(UTC)
    outcomes: list[ActionRow] = []
    for p in plans:
        detail: dict[str, str | None]
        if dry_run:
            status, detail = "planned", {"value": p["value"]}
        elif p["user_id"] in failed:
            status, detail = "failed", {"error": failed[p["user_id"]]}
        elif seen.get(p["user_id"]) == p["value"]:
            status, detail = "done", {"value": p["value"], "moodle": "read back"}
        else:
            status, detail = "unconfirmed", {"value": p["value"], "read_back": seen.get(p["user_id"]),
                                             "moodle": "warnings: [] (does the profile field exist?)"}
        outcomes.append({"action": "profile_hours", "cadre_id": p["cadre_id"], "user_id": p["user_id"],
                         "target": f"field:{field}:{p['period']}", "status": status, "dry_run": dry_run,
                         "detail": detail, "created_at": now})
    return record(engine, outcomes)

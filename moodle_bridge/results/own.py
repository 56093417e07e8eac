"""Which cadre a Moodle user is: for a cadre signed in with their own Moodle account (the cadre's page)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from ..store.held import held_in
from ..store.schema import evaluation_results, mirror_users
from .answers import NoEvaluation
from .evaluations import latest


def cadre_of_user(connection: Connection, user_id: int) -> str | None:
    """The cadre id the latest evaluation judged Moodle user ``user_id`` as; None when it judged them as no cadre (or
    there is no evaluation). Read by the cadre ids the mirror holds for the user (its cadre id, ID number and profile
    values), so that the results' index answers."""
    try:
        current = latest(connection)
    except NoEvaluation:
        return None
    user = connection.execute(select(mirror_users.c.cadre_id, mirror_users.c.idnumber, mirror_users.c.profile).where(
        mirror_users.c.id == user_id)).first()
    if user is None:
        return None
    candidates = {value for value in (user.cadre_id, user.idnumber, *(user.profile or {}).values())
                  if isinstance(value, str) and value.strip()}
    if not candidates:
        return None
    found = connection.execute(select(evaluation_results.c.cadre_id).where(
        held_in(evaluation_results, current.id), evaluation_results.c.cadre_id.in_(sorted(candidates)),
        evaluation_results.c.user_id == user_id).limit(2)).all()
    return found[0].cadre_id if len(found) == 1 else None

"""Actions back to Moodle, decided by the rules: dry run first, `--apply` to act, all logged."""

from typing import Any

from sqlalchemy import Engine, insert

from ..moodle import MoodleClient
from ..store.schema import action_log

ActionRow = dict[str, Any]
"""One action-log row: action, cadre_id, user_id, target, status, dry_run, detail (JSON), created_at."""


def record(engine: Engine, outcomes: list[ActionRow]) -> list[ActionRow]:
    """Write each outcome to the action log (one transaction) and hand them back."""
    if outcomes:
        with engine.begin() as connection:
            connection.execute(insert(action_log), outcomes)
    return outcomes


def acting_client(client: MoodleClient | None) -> MoodleClient:
    """The client an applying run acts through; only a dry run may be given none."""
    if client is None:
        raise ValueError("acting on Moodle needs a client (only a dry run may go without one)")
    return client

"""Actions back to Moodle, decided by the rules: dry run first, `--apply` to act, all logged."""

from sqlalchemy import Engine, insert

from ..store.schema import action_log


def record(engine: Engine, outcomes: list[dict]) -> list[dict]:
    """Write each outcome to the action log (one transaction) and hand them back."""
    if outcomes:
        with engine.begin() as connection:
            connection.execute(insert(action_log), outcomes)
    return outcomes

"""Row counts of every table of a store: a refused input must leave them as they were."""

from __future__ import annotations

import sqlalchemy as sa

from moodle_bridge.store.schema import metadata


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for name, table in metadata.tables.items()}

"""The store's migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from moodle_bridge.store import NotMigrated, connect, migration_status, require_migrated, upgrade


def test_upgrade_creates_the_schema_and_status_follows(db_url):
    engine = connect(db_url)
    before = migration_status(engine)
    assert before.reachable and before.current is None and not before.up_to_date
    with pytest.raises(NotMigrated, match="moodle-bridge db upgrade"):
        require_migrated(engine)
    upgrade(engine)
    after = migration_status(engine)
    assert after.up_to_date and after.current == after.head
    require_migrated(engine)
    assert "sync_runs" in sa.inspect(engine).get_table_names()
    upgrade(engine)  # a second upgrade is a no-op
    assert migration_status(engine).current == after.head
    engine.dispose()


def test_unreachable_store_is_reported_not_raised():
    engine = connect("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    status = migration_status(engine)
    assert not status.reachable and status.error
    with pytest.raises(NotMigrated, match="cannot be reached"):
        require_migrated(engine)


def test_migrations_build_exactly_the_declared_schema(db_url):
    """schema.py (what the code uses) and the migrations (what databases get) must not drift."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from moodle_bridge.store.schema import metadata

    engine = connect(db_url)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        drift = [d for d in compare_metadata(context, metadata)
                 if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")]
    engine.dispose()
    assert drift == []

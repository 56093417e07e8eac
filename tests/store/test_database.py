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


# --- issue 11: the store file is private, and its failures are told plainly ------------------------------------------


def test_a_new_sqlite_store_is_readable_by_its_owner_only(tmp_path):
    """The store holds password hashes: created 0600 whatever the umask (issue 11, item 10)."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        engine = connect(f"sqlite:///{tmp_path / 'new.db'}")
        upgrade(engine)
        engine.dispose()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.db").stat().st_mode) == 0o600
    existing = tmp_path / "existing.db"
    existing.touch(mode=0o640)
    connect(f"sqlite:///{existing}").dispose()
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640  # an existing file is left as its owner set it


def test_a_store_newer_than_the_code_is_told_apart_from_one_behind(db_url):
    from moodle_bridge.store import StoreTooNew

    engine = connect(db_url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dfacef00d'"))
    status = migration_status(engine)
    assert status.too_new and not status.up_to_date
    with pytest.raises(StoreTooNew, match="newer than this moodle_bridge knows"):
        require_migrated(engine)
    with pytest.raises(StoreTooNew):
        upgrade(engine)  # never downgraded, never half-migrated
    engine.dispose()


def test_a_read_only_store_gets_its_own_sentence(db_url, tmp_path):
    from moodle_bridge.store import explain

    if db_url.startswith("sqlite"):
        import sqlite3

        sqlite3.connect(tmp_path / "ro.db").close()
        url = f"sqlite:///file:{tmp_path / 'ro.db'}?mode=ro&uri=true"
    else:  # every transaction read-only, as on a standby
        url = sa.make_url(db_url)
        options = url.query.get("options", "")
        url = url.update_query_dict({"options": f"{options} -cdefault_transaction_read_only=on"}).render_as_string(
            hide_password=False)
    engine = connect(url)
    with pytest.raises(sa.exc.DBAPIError) as caught:
        upgrade(engine)
    engine.dispose()
    problem = explain(caught.value)
    assert problem is not None and problem.kind == "read-only" and "is read-only" in problem.sentence


def test_unknown_store_failures_are_left_to_the_caller():
    from moodle_bridge.store import explain

    assert explain(ValueError("not a store error")) is None
    assert explain(sa.exc.OperationalError("SELECT 1", {}, Exception("something new"))) is None

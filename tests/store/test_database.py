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
                 if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")
                 # SQLite only (migration 0013): its row triggers record a person once; PostgreSQL's, once a statement
                 and not (isinstance(d, tuple) and d[0] == "remove_index" and d[1].name.startswith("ux_cadre_changes"))
                 # PostgreSQL only (migration 0014), where pg_trgm can be had: the search's trigram indexes
                 and not (isinstance(d, tuple) and d[0] == "remove_index" and d[1].name.startswith("ix_trgm_"))]
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


# --- issue 11 under load: the review page's indexes, fresh statistics, and WAL for a SQLite file ---------------------

REVIEW_INDEXES = {  # migration 0013: an evaluation's rows are those of its period it holds (store/held.py); 0014
    # the flagged list's (partial: over the flagged results), but its order by hours (an expression: checked below)
    "evaluation_flags": {"ix_evaluation_flags_cadre": ["cadre_id", "period", "until_evaluation", "kind"],
                         "ix_evaluation_flags_kind": ["period", "until_evaluation", "kind", "cadre_id"]},
    "evaluation_results": {"ix_evaluation_results_flagged_name": ["period", "until_evaluation", "name", "cadre_id"],
                           "ix_evaluation_results_flagged_unit": ["period", "until_evaluation", "unit_code", "name",
                                                                  "cadre_id"],
                           "ix_evaluation_results_flagged_unit_name": ["period", "until_evaluation", "unit_name",
                                                                       "cadre_id"],
                           "ix_evaluation_results_flagged_status": ["period", "until_evaluation", "status",
                                                                    "cadre_id"],
                           "ix_evaluation_results_unit": ["period", "until_evaluation", "unit_code", "unit_name",
                                                          "status", "hours_online", "hours_offline"],
                           "ix_evaluation_results_cadre": ["cadre_id", "period", "until_evaluation"],
                           "ix_evaluation_results_user": ["user_id", "period", "until_evaluation"],
                           "ix_evaluation_results_recheck": ["period", "until_evaluation", "recheck_at"]},
}


def test_the_review_pages_indexes_exist_as_declared(db_url):
    """The migration made them, schema.py declares the same (the drift test compares the rest), and the flags' index
    on evaluation_id alone, a prefix of the new ones, is gone."""
    from moodle_bridge.store.schema import metadata

    engine = connect(db_url)
    upgrade(engine)
    inspector = sa.inspect(engine)
    for table, wanted in REVIEW_INDEXES.items():
        made = {i["name"]: i["column_names"] for i in inspector.get_indexes(table)}
        declared = {i.name: [c.name for c in i.columns] for i in metadata.tables[table].indexes}
        assert {name: made.get(name) for name in wanted} == wanted
        assert {name: declared.get(name) for name in wanted} == wanted
        assert not any(name.startswith(f"ix_{table}_evaluation") for name in made)  # 0011's, on evaluation_id
    engine.dispose()


def test_the_flagged_lists_indexes_cover_the_flagged_results_only(db_url):
    """0014: each order of the flagged list (the hours' an expression the inspector cannot read) is a partial index
    over the results with a flag, so that a page is one range of it."""
    engine = connect(db_url)
    upgrade(engine)
    orders = ("name", "unit", "unit_name", "status", "hours")
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            made = dict(connection.execute(sa.text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'evaluation_results'")).all())
        else:
            made = dict(connection.execute(sa.text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'evaluation_results'")).all())
    engine.dispose()
    for order in orders:
        definition = made[f"ix_evaluation_results_flagged_{order}"]
        assert "WHERE" in definition and "flags > 0" in definition, definition
    assert "hours_online + hours_offline" in made["ix_evaluation_results_flagged_hours"]
    if engine.dialect.name == "postgresql":  # the test server has pg_trgm, as PostgreSQL's own packages do
        for column in ("name", "cadre_id"):
            definition = made[f"ix_trgm_evaluation_results_{column}"]
            assert "gin_trgm_ops" in definition and "flags > 0" in definition, definition


def test_statistics_are_refreshed_for_the_evaluation_tables(db_url):
    from moodle_bridge.store.database import refresh_statistics

    engine = connect(db_url)
    upgrade(engine)
    for _ in range(2):  # again: statistics are replaced, never added to
        with engine.begin() as connection:  # inside the writing transaction, as an evaluation calls it
            refresh_statistics(connection)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
                                              ).scalar() == 1
        else:
            analysed = connection.exec_driver_sql(  # reltuples: -1 until a table is first analysed (or vacuumed)
                "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relname IN "
                "('evaluations', 'evaluation_results', 'evaluation_flags') AND reltuples >= 0").scalars().all()
            assert set(analysed) == {"evaluations", "evaluation_results", "evaluation_flags"}
    engine.dispose()


def test_a_sqlite_file_store_keeps_a_private_write_ahead_log(tmp_path):
    """WAL: the page's readers read while an evaluation writes; its -wal and -shm files are the store's (0600)."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
        upgrade(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            for name in ("store.db", "store.db-wal", "store.db-shm"):
                assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
            with engine.connect() as reader, engine.begin() as writer:  # a reader does not wait for a writer
                writer.exec_driver_sql("INSERT INTO sync_state (entity, key, value) VALUES ('t', 'k', '1')")
                assert reader.exec_driver_sql("SELECT count(*) FROM sync_state").scalar() == 0
        engine.dispose()
    finally:
        os.umask(old)
    memory = connect("sqlite://")
    with memory.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "memory"
    memory.dispose()


def test_the_unit_trees_migration_goes_down_and_up_keeping_the_mirrors_triggers(db_url):
    """0015 down (its tables and columns gone) leaves 0013's change triggers on the cohorts in place, and up again."""
    from alembic import command

    from moodle_bridge.store.database import _alembic_config

    engine = connect(db_url)
    upgrade(engine)

    def triggers() -> set[str]:
        query = ("SELECT name FROM sqlite_master WHERE type = 'trigger'" if engine.dialect.name == "sqlite" else
                 "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        with engine.connect() as c:
            return {name for (name,) in c.execute(sa.text(query)) if "cohorts" in name}

    before = triggers()
    assert {"mark_mirror_cohorts_update", "mark_mirror_cohorts_delete"} <= before
    command.downgrade(_alembic_config(engine), "0014")
    assert triggers() == before
    assert "unit_memberships" not in sa.inspect(engine).get_table_names()
    assert "customfields" not in {c["name"] for c in sa.inspect(engine).get_columns("mirror_cohorts")}
    upgrade(engine)
    assert "unit_memberships" in sa.inspect(engine).get_table_names()
    engine.dispose()

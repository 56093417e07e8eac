"""incremental evaluation (issue 13): the store records which cadres' facts changed, and an evaluation keeps a
cadre's result until the cadre is judged again

- ``cadre_changes``: triggers on every table an evaluation reads per cadre (the mirror's users, cohort members,
  completions and grades, a cohort's rename, offline records, exemptions, ledger entries no evaluation posted) add the
  user or cadre whose facts changed. Triggers, not code: every writer (the sync, imports, the review page, a script)
  is covered, in its own transaction. An evaluation takes the rows it consumes with one DELETE ... RETURNING.
- ``evaluation_results`` and ``evaluation_flags``: a row holds from the evaluation that judged it
  (``since_evaluation``, was ``evaluation_id``) until one that judged the cadre again (``until_evaluation``; 2^31-1
  while it still holds), within its ``period``. An evaluation that judges 1% of the cadres writes 1% of the rows.
  ``recheck_at``: the last moment (Unix seconds) at which the same facts still give the same result (the day a
  pace is lost, a due date passes); NULL: for as long as the facts stay.
- ``evaluations.context_hash``: what every cadre's result depends on besides their own facts (the rules, the
  courses, the courses open that day, the closed periods, the previous period's evaluation); an evaluation with the
  same context can judge only the cadres that changed. ``judged``: how many cadres it judged; ``flags``: how many
  flags it holds (with ``counts``, what the next one adds its own to).

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OPEN = 2147483647

# table -> (its column naming the person, the change table's column it fills)
PER_PERSON = {
    "mirror_users": ("id", "user_id"),
    "mirror_cohort_members": ("user_id", "user_id"),
    "mirror_completions": ("user_id", "user_id"),
    "mirror_grades": ("user_id", "user_id"),
    "offline_records": ("cadre_id", "cadre_id"),
    "exemptions": ("cadre_id", "cadre_id"),
    "credit_entries": ("cadre_id", "cadre_id"),
}
ONLY_WHEN = {"credit_entries": "rules_hash IS NULL"}  # an evaluation's own postings are no change to it
EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.create_table(
        "cadre_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer),
        sa.Column("cadre_id", sa.String(255)),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()

    op.add_column("evaluations", sa.Column("context_hash", sa.String(64)))
    op.add_column("evaluations", sa.Column("judged", sa.Integer))
    op.add_column("evaluations", sa.Column("flags", sa.Integer))
    for table in ("evaluation_results", "evaluation_flags"):
        op.execute(f"ALTER TABLE {table} RENAME COLUMN evaluation_id TO since_evaluation")
        op.add_column(table, sa.Column("until_evaluation", sa.Integer, nullable=False, server_default=str(OPEN)))
        op.add_column(table, sa.Column("period", sa.String(16), nullable=False, server_default=""))
        op.execute(f"UPDATE {table} SET period = (SELECT e.period FROM evaluations e WHERE e.id = since_evaluation)")
        op.execute(f"UPDATE {table} SET until_evaluation = COALESCE((SELECT MIN(later.id) FROM evaluations later "
                   f"WHERE later.period = {table}.period AND later.id > {table}.since_evaluation), {OPEN})")
    op.add_column("evaluation_results", sa.Column("recheck_at", sa.BigInteger))

    op.drop_index("ix_evaluation_results_evaluation_name", "evaluation_results")
    op.drop_index("ix_evaluation_results_evaluation_unit", "evaluation_results")
    op.drop_index("ix_evaluation_flags_evaluation_cadre", "evaluation_flags")
    op.drop_index("ix_evaluation_flags_evaluation_kind", "evaluation_flags")
    _create_indexes()


def _create_indexes() -> None:
    op.create_index("ix_evaluation_results_name", "evaluation_results",
                    ["period", "until_evaluation", "name", "cadre_id"])
    op.create_index("ix_evaluation_results_unit", "evaluation_results",
                    ["period", "until_evaluation", "unit_code", "unit_name", "status", "hours_online",
                     "hours_offline"])
    op.create_index("ix_evaluation_results_cadre", "evaluation_results", ["cadre_id", "period", "until_evaluation"])
    op.create_index("ix_evaluation_results_user", "evaluation_results", ["user_id", "period", "until_evaluation"])
    op.create_index("ix_evaluation_results_recheck", "evaluation_results",
                    ["period", "until_evaluation", "recheck_at"])
    op.create_index("ix_evaluation_flags_cadre", "evaluation_flags", ["cadre_id", "period", "until_evaluation", "kind"])
    op.create_index("ix_evaluation_flags_kind", "evaluation_flags", ["period", "until_evaluation", "kind", "cadre_id"])


def _sqlite_triggers() -> None:
    """Row-level triggers (SQLite has no other): a person is recorded once however many of their rows change (a
    first sync writes millions), which SQLite's one writer at a time makes safe to enforce with unique indexes."""
    op.execute("CREATE UNIQUE INDEX ux_cadre_changes_user_id ON cadre_changes (user_id) WHERE user_id IS NOT NULL")
    op.execute("CREATE UNIQUE INDEX ux_cadre_changes_cadre_id ON cadre_changes (cadre_id) WHERE cadre_id IS NOT NULL")
    for table, (column, target) in PER_PERSON.items():
        for event in EVENTS:
            rows = ("OLD",) if event == "DELETE" else ("NEW",) if event == "INSERT" else ("OLD", "NEW")
            inserts = " ".join(f"INSERT OR IGNORE INTO cadre_changes ({target}) VALUES ({row}.{column});"
                               for row in rows)
            when = f" WHEN {' OR '.join(f'{row}.{ONLY_WHEN[table]}' for row in rows)}" if table in ONLY_WHEN else ""
            op.execute(f"CREATE TRIGGER mark_{table}_{event.lower()} AFTER {event} ON {table} FOR EACH ROW{when} "
                       f"BEGIN {inserts} END")
    for event in ("UPDATE", "DELETE"):  # a cohort renamed or gone: its members' unit name
        row = "OLD" if event == "DELETE" else "NEW"
        op.execute(f"CREATE TRIGGER mark_mirror_cohorts_{event.lower()} AFTER {event} ON mirror_cohorts FOR EACH ROW "
                   f"BEGIN INSERT OR IGNORE INTO cadre_changes (user_id) SELECT user_id FROM mirror_cohort_members "
                   f"WHERE cohort_id = {row}.id; END")


def _postgresql_triggers() -> None:
    """Statement-level triggers with transition tables: one INSERT ... SELECT per statement, however many rows."""
    for table, (column, target) in PER_PERSON.items():
        where = f" WHERE {ONLY_WHEN[table]}" if table in ONLY_WHEN else ""
        for event in EVENTS:
            tables = ("old_rows",) if event == "DELETE" else ("new_rows",) if event == "INSERT" else (
                "old_rows", "new_rows")
            body = " ".join(f"INSERT INTO cadre_changes ({target}) SELECT DISTINCT {column} FROM {t}{where};"
                            for t in tables)
            function = f"mark_{table}_{event.lower()}"
            op.execute(f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} "
                       f"RETURN NULL; END $$")
            referencing = " ".join(f"{'OLD' if t == 'old_rows' else 'NEW'} TABLE AS {t}" for t in tables)
            op.execute(f"CREATE TRIGGER {function} AFTER {event} ON {table} REFERENCING {referencing} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
    for event in ("UPDATE", "DELETE"):
        rows = "old_rows" if event == "DELETE" else "new_rows"
        function = f"mark_mirror_cohorts_{event.lower()}"
        op.execute(f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   f"INSERT INTO cadre_changes (user_id) SELECT DISTINCT m.user_id FROM mirror_cohort_members m "
                   f"JOIN {rows} c ON c.id = m.cohort_id; RETURN NULL; END $$")
        op.execute(f"CREATE TRIGGER {function} AFTER {event} ON mirror_cohorts REFERENCING "
                   f"{'OLD' if event == 'DELETE' else 'NEW'} TABLE AS {rows} FOR EACH STATEMENT "
                   f"EXECUTE FUNCTION {function}()")


def _drop_triggers() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    names = [(table, f"mark_{table}_{event.lower()}") for table in PER_PERSON for event in EVENTS]
    names += [("mirror_cohorts", f"mark_mirror_cohorts_{event}") for event in ("update", "delete")]
    for table, name in names:
        if postgresql:
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
        else:
            op.execute(f"DROP TRIGGER {name}")


def downgrade() -> None:
    for name in ("ix_evaluation_results_name", "ix_evaluation_results_unit", "ix_evaluation_results_cadre",
                 "ix_evaluation_results_user", "ix_evaluation_results_recheck"):
        op.drop_index(name, "evaluation_results")
    op.drop_index("ix_evaluation_flags_cadre", "evaluation_flags")
    op.drop_index("ix_evaluation_flags_kind", "evaluation_flags")
    # Before: every evaluation held a row per cadre. Rows an evaluation kept from an earlier one are copied to it.
    copied = {"evaluation_results": "cadre_id, user_id, name, unit_code, unit_name, groups, status, hours_online, "
                                    "hours_offline, required_hours",
              "evaluation_flags": "cadre_id, kind, group_name, rule, evidence"}
    for table, columns in copied.items():
        kept = ", ".join(f"t.{c.strip()}" for c in columns.split(","))
        op.execute(f"INSERT INTO {table} (since_evaluation, until_evaluation, period, {columns}) "
                   f"SELECT e.id, e.id, t.period, {kept} FROM {table} t JOIN evaluations e ON e.period = t.period "
                   f"AND t.since_evaluation < e.id AND t.until_evaluation > e.id")
    op.drop_column("evaluation_results", "recheck_at")
    for table in copied:
        op.drop_column(table, "period")
        op.drop_column(table, "until_evaluation")
        op.execute(f"ALTER TABLE {table} RENAME COLUMN since_evaluation TO evaluation_id")
    op.drop_column("evaluations", "flags")
    op.drop_column("evaluations", "judged")
    op.drop_column("evaluations", "context_hash")
    _drop_triggers()
    op.drop_table("cadre_changes")
    op.create_index("ix_evaluation_results_evaluation_name", "evaluation_results",
                    ["evaluation_id", "name", "cadre_id"])
    op.create_index("ix_evaluation_results_evaluation_unit", "evaluation_results",
                    ["evaluation_id", "unit_code", "unit_name", "status", "hours_online", "hours_offline"])
    op.create_index("ix_evaluation_flags_evaluation_cadre", "evaluation_flags", ["evaluation_id", "cadre_id", "kind"])
    op.create_index("ix_evaluation_flags_evaluation_kind", "evaluation_flags", ["evaluation_id", "kind", "cadre_id"])

"""the review page at province size (issue 13, item 6): per-unit tallies each evaluation keeps, a flag count on each
result, and the flagged list's indexes

- ``unit_tallies``: what each unit adds up to (cadres by status, hours, flags, flagged cadres, flags by kind, flagged
  cadres by kind and by group), held like the results (``since_evaluation`` .. ``until_evaluation``, within the
  period): an evaluation rewrites the units whose cadres it judged, from the tallies it holds and the rows it
  replaced. The dashboard, the unit names and the flagged list's totals read a row a unit, not a row a cadre.
  ``evaluations.tallied``: whether the evaluation keeps them (an older version's does not, and is read as before).
- ``evaluation_results.flags``: how many flags the result raised, so that "flagged" is a column, and the flagged
  list, in each order it offers, one range of a partial index over the flagged results.
- PostgreSQL only, where the ``pg_trgm`` extension can be had (it ships with PostgreSQL and is trusted: a database
  owner may create it): trigram indexes on the flagged results' names and cadre ids, for the list's search (a part
  of a name or id: ``ILIKE '%...%'``, which no b-tree serves). Without it the search reads every flagged result;
  with it too, for a search of one or two characters (a trigram needs three: a Chinese given name of two
  characters is such a search).

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

OPEN = 2147483647
FLAGGED = "flags > 0"
# name -> columns (an expression for the hours) of the partial indexes over the flagged results
FLAGGED_INDEXES = {
    "ix_evaluation_results_flagged_name": ["period", "until_evaluation", "name", "cadre_id"],
    "ix_evaluation_results_flagged_unit": ["period", "until_evaluation", "unit_code", "name", "cadre_id"],
    "ix_evaluation_results_flagged_unit_name": ["period", "until_evaluation", "unit_name", "cadre_id"],
    "ix_evaluation_results_flagged_status": ["period", "until_evaluation", "status", "cadre_id"],
    "ix_evaluation_results_flagged_hours": ["period", "until_evaluation", sa.text("(hours_online + hours_offline)"),
                                            "cadre_id"],
}


def upgrade() -> None:
    op.add_column("evaluation_results", sa.Column("flags", sa.Integer, nullable=False, server_default="0"))
    raised = ("FROM evaluation_flags f WHERE f.cadre_id = evaluation_results.cadre_id "
              "AND f.since_evaluation = evaluation_results.since_evaluation")
    # Only the flagged: the others keep the default (a new row version for every result would double the table)
    op.execute(f"UPDATE evaluation_results SET flags = (SELECT COUNT(*) {raised}) WHERE EXISTS (SELECT 1 {raised})")
    op.drop_index("ix_evaluation_results_name", "evaluation_results")
    for name, columns in FLAGGED_INDEXES.items():
        op.create_index(name, "evaluation_results", columns, postgresql_where=sa.text(FLAGGED),
                        sqlite_where=sa.text(FLAGGED))
    if op.get_bind().dialect.name == "postgresql":
        _trigram_indexes()
    op.add_column("evaluations", sa.Column("tallied", sa.Boolean))
    op.create_table(
        "unit_tallies",
        sa.Column("since_evaluation", sa.Integer, sa.ForeignKey("evaluations.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("unit_code", sa.String(100), nullable=False),
        sa.Column("unit_name", sa.Text, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("hours_millionths", sa.BigInteger, nullable=False),
        sa.Column("flags", sa.Integer, nullable=False),
        sa.Column("flagged", sa.Integer, nullable=False),
        sa.Column("flag_kinds", sa.JSON, nullable=False),
        sa.Column("flagged_kinds", sa.JSON, nullable=False),
        sa.Column("flagged_groups", sa.JSON, nullable=False),
        sa.Column("until_evaluation", sa.Integer, nullable=False, server_default=str(OPEN)),
        sa.Column("period", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("since_evaluation", "unit_code"),
    )
    op.create_index("ix_unit_tallies_held", "unit_tallies", ["period", "until_evaluation", "unit_code"])


TRIGRAM_INDEXES = {"ix_trgm_evaluation_results_name": "name", "ix_trgm_evaluation_results_cadre_id": "cadre_id"}


def _trigram_indexes() -> None:
    """Where the extension can be created (or is there): the search's indexes; elsewhere the search scans."""
    bind = op.get_bind()
    available = bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first()
    if available is None:
        return
    savepoint = bind.begin_nested()
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:  # no right to create it here: the search works, by a scan
        savepoint.rollback()
        return
    savepoint.commit()
    schema = bind.execute(sa.text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                                  "WHERE e.extname = 'pg_trgm'")).scalar_one()  # it may be in a schema not searched
    for name, column in TRIGRAM_INDEXES.items():
        op.execute(f'CREATE INDEX {name} ON evaluation_results USING gin ({column} "{schema}".gin_trgm_ops) '
                   f"WHERE {FLAGGED}")


def downgrade() -> None:
    for name in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_index("ix_unit_tallies_held", "unit_tallies")
    op.drop_table("unit_tallies")
    op.drop_column("evaluations", "tallied")
    for name in FLAGGED_INDEXES:
        op.drop_index(name, "evaluation_results")
    op.create_index("ix_evaluation_results_name", "evaluation_results",
                    ["period", "until_evaluation", "name", "cadre_id"])
    op.drop_column("evaluation_results", "flags")

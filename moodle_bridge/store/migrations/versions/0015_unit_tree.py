"""the organisation's shape (issue 14): the unit tree and dated unit memberships

- ``mirror_cohorts.customfields``: a cohort's custom fields (shortname -> value; Moodle 4.2 and later), where a
  unit's cohort may name its parent unit (the rules file's ``cadres.unit.tree``).
- ``units_file``: the units file staff keep (code, name, parent), when the tree comes from it; an import replaces it.
- ``unit_trees``: every tree an evaluation used, by its fingerprint (``evaluations.unit_tree``): figures roll up
  along the tree of the evaluation they come from. ``evaluations.unit_placing``: what decides which unit a cadre is
  counted in (where units come from, the tree proper's units and depths); while it stays, a cadre's unit changes
  only when their own cohorts or profile do.
- ``unit_memberships``: the units a cadre belonged to and when: seen in Moodle (``source`` moodle: from the day an
  evaluation first saw them there; ``valid_from`` NULL for the first sighting) or given by the transfers file
  (``source`` file), which comes first. An evaluation as of a day counts a cadre in their unit on that day.
  ``valid_to`` is the last day (NULL: still). A transfers file's rows are a cadre's facts: a trigger records their
  change in ``cadre_changes``, as 0013 does for every other such table.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.add_column("mirror_cohorts", sa.Column("customfields", sa.JSON))
    op.create_table(
        "units_file",
        sa.Column("code", sa.String(100), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("parent_code", sa.String(100)),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "unit_trees",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("units", sa.JSON, nullable=False),
        sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("evaluations", sa.Column("unit_tree", sa.String(64)))
    op.add_column("evaluations", sa.Column("unit_placing", sa.String(64)))
    op.create_table(
        "unit_memberships",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("cadre_id", sa.String(255), nullable=False),
        sa.Column("unit_code", sa.String(100), nullable=False),
        sa.Column("valid_from", sa.Date),
        sa.Column("valid_to", sa.Date),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("file_name", sa.Text),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_unit_memberships_cadre", "unit_memberships", ["cadre_id", "source", "valid_from"])
    if op.get_bind().dialect.name == "postgresql":
        for event in EVENTS:
            tables = ("old_rows",) if event == "DELETE" else ("new_rows",) if event == "INSERT" else (
                "old_rows", "new_rows")
            body = " ".join(f"INSERT INTO cadre_changes (cadre_id) SELECT DISTINCT cadre_id FROM {t} "
                            f"WHERE source = 'file';" for t in tables)
            function = f"mark_unit_memberships_{event.lower()}"
            op.execute(f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} "
                       f"RETURN NULL; END $$")
            referencing = " ".join(f"{'OLD' if t == 'old_rows' else 'NEW'} TABLE AS {t}" for t in tables)
            op.execute(f"CREATE TRIGGER {function} AFTER {event} ON unit_memberships REFERENCING {referencing} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
    else:
        for event in EVENTS:
            rows = ("OLD",) if event == "DELETE" else ("NEW",) if event == "INSERT" else ("OLD", "NEW")
            inserts = " ".join(f"INSERT OR IGNORE INTO cadre_changes (cadre_id) SELECT {row}.cadre_id "
                               f"WHERE {row}.source = 'file';" for row in rows)
            op.execute(f"CREATE TRIGGER mark_unit_memberships_{event.lower()} AFTER {event} ON unit_memberships "
                       f"FOR EACH ROW BEGIN {inserts} END")


def downgrade() -> None:
    for event in EVENTS:
        name = f"mark_unit_memberships_{event.lower()}"
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER {name} ON unit_memberships")
            op.execute(f"DROP FUNCTION {name}()")
        else:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index("ix_unit_memberships_cadre", "unit_memberships")
    op.drop_table("unit_memberships")
    op.drop_column("evaluations", "unit_placing")
    op.drop_column("evaluations", "unit_tree")
    op.drop_table("unit_trees")
    op.drop_table("units_file")
    # Not a batch: SQLite would copy the table and lose 0013's triggers on it. SQLite 3.35 and later drop a column.
    op.execute("ALTER TABLE mirror_cohorts DROP COLUMN customfields")

"""the mirror of Moodle and the sync's bookmarks

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _gone() -> list[sa.Column]:
    return [sa.Column("gone_at", sa.DateTime(timezone=True)), sa.Column("gone_reason", sa.String(32))]


def upgrade() -> None:
    op.create_table(
        "sync_partitions",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("sync_runs.id", ondelete="CASCADE",
                                                      name="fk_sync_partitions_run_id_sync_runs"), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("partition", sa.String(64), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "entity", "partition", name="pk_sync_partitions"),
    )
    op.create_table(
        "sync_state",
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("entity", "key", name="pk_sync_state"),
    )
    op.create_table(
        "mirror_categories",
        sa.Column("id", sa.Integer, autoincrement=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("idnumber", sa.String(100)),
        sa.Column("parent", sa.Integer, nullable=False),
        sa.Column("path", sa.String(255), nullable=False),
        sa.Column("visible", sa.Boolean, nullable=False),
        *_gone(),
        sa.PrimaryKeyConstraint("id", name="pk_mirror_categories"),
    )
    op.create_table(
        "mirror_courses",
        sa.Column("id", sa.Integer, autoincrement=False),
        sa.Column("shortname", sa.String(255), nullable=False),
        sa.Column("fullname", sa.Text, nullable=False),
        sa.Column("idnumber", sa.String(100)),
        sa.Column("categoryid", sa.Integer, nullable=False),
        sa.Column("visible", sa.Boolean, nullable=False),
        sa.Column("startdate", sa.BigInteger, nullable=False),
        sa.Column("enddate", sa.BigInteger, nullable=False),
        sa.Column("completion_enabled", sa.Boolean, nullable=False),
        sa.Column("hours", sa.Float),
        sa.Column("training_type", sa.String(64)),
        sa.Column("timemodified", sa.BigInteger),
        *_gone(),
        sa.PrimaryKeyConstraint("id", name="pk_mirror_courses"),
    )
    op.create_table(
        "mirror_users",
        sa.Column("id", sa.Integer, autoincrement=False),
        sa.Column("username", sa.String(100)),
        sa.Column("idnumber", sa.String(255)),
        sa.Column("firstname", sa.Text),
        sa.Column("lastname", sa.Text),
        sa.Column("email", sa.String(255)),
        sa.Column("department", sa.Text),
        sa.Column("suspended", sa.Boolean, nullable=False),
        sa.Column("cadre_id", sa.String(255)),
        sa.Column("profile", sa.JSON, nullable=False),
        *_gone(),
        sa.PrimaryKeyConstraint("id", name="pk_mirror_users"),
    )
    op.create_index("ix_mirror_users_idnumber", "mirror_users", ["idnumber"])
    op.create_table(
        "mirror_cohorts",
        sa.Column("id", sa.Integer, autoincrement=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("idnumber", sa.String(100)),
        sa.Column("visible", sa.Boolean, nullable=False),
        *_gone(),
        sa.PrimaryKeyConstraint("id", name="pk_mirror_cohorts"),
    )
    for table, extra in (
        ("mirror_cohort_members", []),
        ("mirror_enrolments", [sa.Column("status", sa.String(16), nullable=False),
                               sa.Column("timestart", sa.BigInteger), sa.Column("timeend", sa.BigInteger)]),
        ("mirror_grades", [sa.Column("grade", sa.Float), sa.Column("grademax", sa.Float),
                           sa.Column("graded_at", sa.BigInteger)]),
        ("mirror_completions", [sa.Column("time_completed", sa.BigInteger),
                                sa.Column("precision", sa.String(8), nullable=False),
                                sa.Column("road", sa.String(16), nullable=False)]),
    ):
        first, second = ("cohort_id", "user_id") if table == "mirror_cohort_members" else ("course_id", "user_id")
        op.create_table(
            table,
            sa.Column(first, sa.Integer, nullable=False),
            sa.Column(second, sa.Integer, nullable=False),
            *extra,
            *_gone(),
            sa.PrimaryKeyConstraint(first, second, name=f"pk_{table}"),
        )


def downgrade() -> None:
    for table in ("mirror_completions", "mirror_grades", "mirror_enrolments", "mirror_cohort_members",
                  "mirror_cohorts", "mirror_users", "mirror_courses", "mirror_categories", "sync_state",
                  "sync_partitions"):
        op.drop_table(table)

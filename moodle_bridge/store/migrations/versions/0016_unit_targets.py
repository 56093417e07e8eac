"""the year-end assessment (issue 14, item 3): each unit's targets of a period, from the targets file staff import
(``moodle-bridge targets import``); a re-import of a period replaces its rows

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_targets",
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("unit_code", sa.String(100), nullable=False),
        sa.Column("completion_rate", sa.Float),
        sa.Column("hours_per_cadre", sa.Float),
        sa.Column("required_courses", sa.Float),
        sa.Column("organised_trainings", sa.Integer),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_file", sa.Text, nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("period", "unit_code", name="pk_unit_targets"),
    )


def downgrade() -> None:
    op.drop_table("unit_targets")

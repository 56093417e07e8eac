"""activity completions (optional)

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mirror_activity_completions",
        sa.Column("course_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("cmid", sa.Integer, nullable=False),
        sa.Column("modname", sa.String(32), nullable=False),
        sa.Column("state", sa.Integer, nullable=False),
        sa.Column("time_completed", sa.BigInteger),
        sa.Column("gone_at", sa.DateTime(timezone=True)),
        sa.Column("gone_reason", sa.String(32)),
        sa.PrimaryKeyConstraint("course_id", "user_id", "cmid", name="pk_mirror_activity_completions"),
    )


def downgrade() -> None:
    op.drop_table("mirror_activity_completions")

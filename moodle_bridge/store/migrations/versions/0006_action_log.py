"""the action log (actions back to Moodle)

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "action_log",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("cadre_id", sa.String(255), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("target", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_action_log"),
    )
    op.create_index("ix_action_log_cadre_id", "action_log", ["cadre_id"])


def downgrade() -> None:
    op.drop_table("action_log")

"""reminders sent (issue 15, item 1): one row a reminder Moodle accepted, keyed by cadre, requirement, due day and
days from it, so that each goes out once (``moodle-bridge remind``; the action log keeps every attempt)

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminders_sent",
        sa.Column("cadre_id", sa.String(255), nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("offset_days", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cadre_id", "rule", "due", "offset_days", name="pk_reminders_sent"),
    )


def downgrade() -> None:
    op.drop_table("reminders_sent")

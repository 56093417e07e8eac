"""staff sessions that can be revoked, and failed sign-ins that are forgotten after the lock-out window

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_accounts") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_failed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("staff_accounts") as batch:
        batch.drop_column("last_failed_at")
        batch.drop_column("session_version")

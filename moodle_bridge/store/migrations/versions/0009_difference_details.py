"""what an accepted post-closing difference posts: the new credit's online flag and date

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("closing_differences") as batch:
        batch.add_column(sa.Column("new_online", sa.Boolean))
        batch.add_column(sa.Column("new_earned_at", sa.BigInteger))


def downgrade() -> None:
    with op.batch_alter_table("closing_differences") as batch:
        batch.drop_column("new_earned_at")
        batch.drop_column("new_online")

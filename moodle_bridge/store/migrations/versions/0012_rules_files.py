"""the text of each rules file an evaluation used, by its hash, so a later report names the requirements of the rules
that judged it (evaluations keep only the hash)

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rules_files",
        sa.Column("rules_hash", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rules_hash", name="pk_rules_files"),
    )


def downgrade() -> None:
    op.drop_table("rules_files")

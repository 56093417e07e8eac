"""indexes for reading a range of cadres (evaluation in chunks)

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_mirror_completions_user_id", "mirror_completions", ["user_id"])
    op.create_index("ix_mirror_grades_user_id", "mirror_grades", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_mirror_grades_user_id", "mirror_grades")
    op.drop_index("ix_mirror_completions_user_id", "mirror_completions")

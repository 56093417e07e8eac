"""the organisation's shape (issue 14): the unit tree and dated unit memberships (filled in by the next commits)

Revision ID: 0015
Revises: 0014
"""

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

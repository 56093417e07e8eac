"""a Moodle user's language in the mirror (issue 15: reminders in the cadre's language)

- ``mirror_users.lang``: the user's language in Moodle (``user.lang``, e.g. ``en`` or ``zh_cn``), as
  ``core_user_get_users_by_field`` answers it (and the profiles report's *Language* column, when it has one). NULL:
  not known yet (a user read only from a profiles report without that column); the configured language is used.

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not a batch: SQLite would copy the table and lose 0013's triggers on it.
    op.add_column("mirror_users", sa.Column("lang", sa.String(30)))


def downgrade() -> None:
    # Not a batch (as above). SQLite 3.35 and later drop a column.
    op.execute("ALTER TABLE mirror_users DROP COLUMN lang")

"""deadlines in the cadres' Moodle calendars (issue 15, item 2): the course events moodle_bridge created, one per
course and requirement (a rules group's required courses or reading), with Moodle's event id and what it shows, so
that a due date that moves moves the event and a requirement met or lifted removes it, never creating one twice

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_events",
        sa.Column("course_id", sa.Integer, nullable=False),
        sa.Column("group_name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("timestart", sa.BigInteger, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("course_id", "group_name", "kind", name="pk_calendar_events"),
    )


def downgrade() -> None:
    op.drop_table("calendar_events")

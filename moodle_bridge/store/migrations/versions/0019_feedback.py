"""Moodle Feedback answers in the mirror (issue 15, item 4): the activities, their questions, the responses (named
ones with their user, anonymous ones without: a check holds it) and each response's answers

- A response's ``key``: a named one's is Moodle's completed id (as text, and ``id`` holds it); an anonymous one's is
  a keyed hash of Moodle's ids, so that Moodle's id, which tells the order people submitted in, is not kept.
- ``install_secrets``: the install's random secret that keys that hash, made by the first sync that needs it.

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _gone() -> list[sa.Column]:
    return [sa.Column("gone_at", sa.DateTime(timezone=True)), sa.Column("gone_reason", sa.String(32))]


def upgrade() -> None:
    op.create_table(
        "mirror_feedbacks",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("course_id", sa.Integer, nullable=False),
        sa.Column("cmid", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("timeopen", sa.BigInteger),
        sa.Column("timeclose", sa.BigInteger),
        *_gone(),
        sa.PrimaryKeyConstraint("id", name="pk_mirror_feedbacks"),
    )
    op.create_table(
        "mirror_feedback_items",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("feedback_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("typ", sa.String(32), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("label", sa.String(255), nullable=False),
        sa.Column("presentation", sa.Text, nullable=False),
        sa.Column("choices", sa.JSON, nullable=False),
        *_gone(),
        sa.PrimaryKeyConstraint("id", name="pk_mirror_feedback_items"),
    )
    op.create_index("ix_mirror_feedback_items_feedback_id", "mirror_feedback_items", ["feedback_id"])
    op.create_table(
        "mirror_feedback_responses",
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("id", sa.Integer),
        sa.Column("feedback_id", sa.Integer, nullable=False),
        sa.Column("course_id", sa.Integer, nullable=False),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("timemodified", sa.BigInteger),
        *_gone(),
        sa.PrimaryKeyConstraint("key", name="pk_mirror_feedback_responses"),
        sa.CheckConstraint("(NOT anonymous) OR (user_id IS NULL AND id IS NULL AND timemodified IS NULL)",
                           name="ck_mirror_feedback_responses_anonymous"),
    )
    op.create_index("ix_mirror_feedback_responses_feedback_id", "mirror_feedback_responses", ["feedback_id"])
    op.create_table(
        "mirror_feedback_answers",
        sa.Column("response_key", sa.String(40), nullable=False),
        sa.Column("item_id", sa.Integer, nullable=False),
        sa.Column("feedback_id", sa.Integer, nullable=False),
        sa.Column("value", sa.Text),
        *_gone(),
        sa.PrimaryKeyConstraint("response_key", "item_id", name="pk_mirror_feedback_answers"),
    )
    op.create_index("ix_mirror_feedback_answers_feedback_id", "mirror_feedback_answers", ["feedback_id"])
    op.create_table(
        "install_secrets",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_install_secrets"),
    )


def downgrade() -> None:
    op.drop_table("install_secrets")
    op.drop_index("ix_mirror_feedback_answers_feedback_id", table_name="mirror_feedback_answers")
    op.drop_table("mirror_feedback_answers")
    op.drop_index("ix_mirror_feedback_responses_feedback_id", table_name="mirror_feedback_responses")
    op.drop_table("mirror_feedback_responses")
    op.drop_index("ix_mirror_feedback_items_feedback_id", table_name="mirror_feedback_items")
    op.drop_table("mirror_feedback_items")
    op.drop_table("mirror_feedbacks")

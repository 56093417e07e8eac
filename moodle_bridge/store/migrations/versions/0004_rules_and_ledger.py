"""offline records, exemptions, the credit ledger, evaluations, period closing

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offline_records",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("row_key", sa.String(64), nullable=False),
        sa.Column("cadre_id", sa.String(255), nullable=False),
        sa.Column("training", sa.Text, nullable=False),
        sa.Column("organiser", sa.Text),
        sa.Column("start", sa.Date, nullable=False),
        sa.Column("end", sa.Date, nullable=False),
        sa.Column("days", sa.Float),
        sa.Column("hours", sa.Float),
        sa.Column("leave_hours", sa.Float, nullable=False),
        sa.Column("kind", sa.String(64)),
        sa.Column("reference", sa.String(255)),
        sa.Column("source_file", sa.Text, nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
        sa.Column("withdraw_reason", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_offline_records"),
        sa.UniqueConstraint("row_key", name="uq_offline_records_row_key"),
    )
    op.create_index("ix_offline_records_cadre_id", "offline_records", ["cadre_id"])
    op.create_table(
        "exemptions",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("cadre_id", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("start", sa.Date, nullable=False),
        sa.Column("end", sa.Date, nullable=False),
        sa.Column("effect", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_exemptions"),
        sa.UniqueConstraint("key", name="uq_exemptions_key"),
    )
    op.create_index("ix_exemptions_cadre_id", "exemptions", ["cadre_id"])
    op.create_table(
        "credit_entries",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("cadre_id", sa.String(255), nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("hours", sa.Float, nullable=False),
        sa.Column("online", sa.Boolean, nullable=False),
        sa.Column("earned_at", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("rules_hash", sa.String(64)),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_credit_entries"),
    )
    op.create_index("ix_credit_entries_cadre_id", "credit_entries", ["cadre_id"])
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("rules_hash", sa.String(64), nullable=False),
        sa.Column("exemptions_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evaluations"),
    )
    op.create_table(
        "evaluation_results",
        sa.Column("evaluation_id", sa.Integer, sa.ForeignKey(
            "evaluations.id", ondelete="CASCADE", name="fk_evaluation_results_evaluation_id_evaluations"),
            nullable=False),
        sa.Column("cadre_id", sa.String(255), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("unit_code", sa.String(100), nullable=False),
        sa.Column("unit_name", sa.Text, nullable=False),
        sa.Column("groups", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("hours_online", sa.Float, nullable=False),
        sa.Column("hours_offline", sa.Float, nullable=False),
        sa.Column("required_hours", sa.Float),
        sa.PrimaryKeyConstraint("evaluation_id", "cadre_id", name="pk_evaluation_results"),
    )
    op.create_table(
        "evaluation_flags",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("evaluation_id", sa.Integer, sa.ForeignKey(
            "evaluations.id", ondelete="CASCADE", name="fk_evaluation_flags_evaluation_id_evaluations"),
            nullable=False),
        sa.Column("cadre_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("group_name", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evaluation_flags"),
    )
    op.create_index("ix_evaluation_flags_evaluation_id", "evaluation_flags", ["evaluation_id"])
    op.create_table(
        "period_closures",
        sa.Column("period", sa.String(16)),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evaluation_id", sa.Integer, sa.ForeignKey(
            "evaluations.id", name="fk_period_closures_evaluation_id_evaluations"), nullable=False),
        sa.PrimaryKeyConstraint("period", name="pk_period_closures"),
    )
    op.create_table(
        "closing_differences",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("cadre_id", sa.String(255), nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("certified_hours", sa.Float, nullable=False),
        sa.Column("new_hours", sa.Float, nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_closing_differences"),
    )


def downgrade() -> None:
    for table in ("closing_differences", "period_closures", "evaluation_flags", "evaluation_results",
                  "evaluations", "credit_entries", "exemptions", "offline_records"):
        op.drop_table(table)

"""indexes for the review page's reads at 100,000 cadres (issue 11): a cadre's flags and the flags by kind; the
results in name order, and by unit with their rates; the flags' index on evaluation_id alone is a prefix of the new ones

Revision ID: 0011
Revises: 0010
"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_evaluation_flags_evaluation_cadre", "evaluation_flags", ["evaluation_id", "cadre_id", "kind"])
    op.create_index("ix_evaluation_flags_evaluation_kind", "evaluation_flags", ["evaluation_id", "kind", "cadre_id"])
    op.drop_index("ix_evaluation_flags_evaluation_id", "evaluation_flags")
    op.create_index("ix_evaluation_results_evaluation_name", "evaluation_results",
                    ["evaluation_id", "name", "cadre_id"])
    op.create_index("ix_evaluation_results_evaluation_unit", "evaluation_results",
                    ["evaluation_id", "unit_code", "unit_name", "status", "hours_online", "hours_offline"])


def downgrade() -> None:
    op.drop_index("ix_evaluation_results_evaluation_unit", "evaluation_results")
    op.drop_index("ix_evaluation_results_evaluation_name", "evaluation_results")
    op.create_index("ix_evaluation_flags_evaluation_id", "evaluation_flags", ["evaluation_id"])
    op.drop_index("ix_evaluation_flags_evaluation_kind", "evaluation_flags")
    op.drop_index("ix_evaluation_flags_evaluation_cadre", "evaluation_flags")

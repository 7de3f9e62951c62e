"""decision log: one row per decision the live bot took

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decision_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("intent", sa.String(64)),
        sa.Column("faq_id", sa.String(64)),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("department", sa.String(64)),
        sa.Column("candidates", sa.Text, nullable=False),
        sa.Column("reason", sa.String(128), nullable=False),
    )
    op.create_index("ix_decision_log_sender_id", "decision_log", ["sender_id"])
    op.create_index("ix_decision_log_decision", "decision_log", ["decision"])
    op.create_index("ix_decision_log_faq_id", "decision_log", ["faq_id"])


def downgrade() -> None:
    op.drop_table("decision_log")

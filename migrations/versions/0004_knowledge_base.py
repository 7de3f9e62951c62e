"""knowledge base in the database: FAQs, variants, revisions, suggestions, reviewed messages, releases

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "kb_faq",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("department_code", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("legal_basis", sa.Text, nullable=False),
        sa.Column("keywords", sa.Text, nullable=False),
        sa.Column("excludes", sa.Text, nullable=False),
        sa.Column("confidence", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "kb_question",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("faq_id", sa.String(64), sa.ForeignKey("kb_faq.id", ondelete="CASCADE"), nullable=False),
        sa.Column("style", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("folded", sa.String(600), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_kb_question_faq_id", "kb_question", ["faq_id"])
    op.create_index("ix_kb_question_folded", "kb_question", ["folded"])
    op.create_table(
        "kb_revision",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("faq_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("snapshot", sa.Text, nullable=False),
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.id")),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_kb_revision_faq_id", "kb_revision", ["faq_id"])
    op.create_table(
        "kb_suggestion",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("faq_id", sa.String(64)),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("ticket_id", sa.Integer),
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.id")),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("decided_at", TS),
        sa.Column("decided_by", sa.String(64)),
    )
    op.create_index("ix_kb_suggestion_status", "kb_suggestion", ["status"])
    op.create_table(
        "kb_reviewed_message",
        sa.Column("decision_id", sa.Integer, primary_key=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("faq_id", sa.String(64)),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "model_release",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(64)),
        sa.Column("model_path", sa.Text),
        sa.Column("data_dir", sa.Text),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("started_at", TS),
        sa.Column("finished_at", TS),
        sa.Column("progress", sa.Text, nullable=False),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column("live", sa.Boolean, nullable=False),
    )
    op.create_index("ix_model_release_status", "model_release", ["status"])


def downgrade() -> None:
    for table in ("model_release", "kb_reviewed_message", "kb_suggestion", "kb_revision", "kb_question", "kb_faq"):
        op.drop_table(table)

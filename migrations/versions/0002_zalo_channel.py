"""zalo channel: event ledger, outbound replies, conversations, token pair

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zalo_event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_key", sa.String(160), nullable=False, unique=True),
        sa.Column("event_name", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_zalo_event_user_id", "zalo_event", ["user_id"])
    op.create_table(
        "zalo_outbound",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_key", sa.String(160)),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_code", sa.Integer),
        sa.Column("error_message", sa.Text),
        sa.Column("zalo_message_id", sa.String(64)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_zalo_outbound_event_key", "zalo_outbound", ["event_key"])
    op.create_index("ix_zalo_outbound_user_id", "zalo_outbound", ["user_id"])
    op.create_table(
        "zalo_conversation",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("display_name", sa.String(255)),
        sa.Column("is_follower", sa.Boolean, nullable=False),
        sa.Column("bot_paused", sa.Boolean, nullable=False),
        sa.Column("paused_by_admin", sa.String(64)),
        sa.Column("attachments", sa.Text, nullable=False),
        sa.Column("last_error_code", sa.Integer),
        sa.Column("last_error_message", sa.Text),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "zalo_token",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("access_token", sa.Text, nullable=False),
        sa.Column("refresh_token", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("zalo_token")
    op.drop_table("zalo_conversation")
    op.drop_index("ix_zalo_outbound_user_id", "zalo_outbound")
    op.drop_index("ix_zalo_outbound_event_key", "zalo_outbound")
    op.drop_table("zalo_outbound")
    op.drop_index("ix_zalo_event_user_id", "zalo_event")
    op.drop_table("zalo_event")

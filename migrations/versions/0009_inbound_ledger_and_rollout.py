"""inbound ledger: events of any channel stored on arrival, and per-citizen leases so several
turn workers handle one citizen's events in order, one worker at a time; the model being rolled
out to the Rasa servers

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

PENDING = sa.text("handled_at IS NULL AND dead_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "inbound_event",
        sa.Column("id", sa.Integer, primary_key=True),  # arrival order
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("event_key", sa.String(160), nullable=False),
        sa.Column("citizen", sa.String(128), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("dead_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("channel", "event_key", name="uq_inbound_event_key"),
    )
    # Only the waiting events are indexed: the claim and a worker's "next event" read these,
    # and they are few however long the history grows.
    op.create_index("ix_inbound_event_pending", "inbound_event", ["citizen", "id"],
                    postgresql_where=PENDING, sqlite_where=PENDING)
    # One row per citizen a worker holds now; a released claim deletes its row.
    op.create_table(
        "inbound_lease",
        sa.Column("citizen", sa.String(128), primary_key=True),
        sa.Column("worker", sa.String(64), nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),  # epoch milliseconds
    )
    # The release the model server offers the Rasa servers before it is live (bot/faq/rollout.py).
    op.create_table(
        "model_rollout",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("release_id", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("model_rollout")
    op.drop_table("inbound_lease")
    op.drop_index("ix_inbound_event_pending", table_name="inbound_event")
    op.drop_table("inbound_event")

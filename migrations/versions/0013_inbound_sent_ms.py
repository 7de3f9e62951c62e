"""inbound event sent_ms: when the citizen sent the message, by the channel's clock

Zalo delivers webhooks concurrently: two messages a citizen sent half a second apart can reach
two receivers in the reverse order, and the ledger took a citizen's events in the order they
were stored. Each event now keeps the channel's own timestamp (Zalo's `timestamp`, epoch ms) and
a citizen's waiting events are taken in that order, and a citizen's message rate is counted from
it by every worker alike. Events stored before this revision, and channels without a timestamp,
have none and keep their arrival order.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("inbound_event", sa.Column("sent_ms", sa.BigInteger, nullable=True))
    # A citizen's messages of the last minute, counted by every worker alike (the message rate).
    op.create_index("ix_inbound_event_sent", "inbound_event", ["citizen", "sent_ms"])


def downgrade() -> None:
    # Not a batch (which copies the table on SQLite and would lose the partial index's condition):
    # SQLite has dropped a column in place since 3.35.
    op.drop_index("ix_inbound_event_sent", table_name="inbound_event")
    op.drop_column("inbound_event", "sent_ms")

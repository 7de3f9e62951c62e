"""zalo events that keep failing: attempts, last error, parked as dead

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("zalo_event") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_error", sa.Text))
        batch.add_column(sa.Column("dead_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("zalo_event") as batch:
        batch.drop_column("dead_at")
        batch.drop_column("last_error")
        batch.drop_column("attempts")

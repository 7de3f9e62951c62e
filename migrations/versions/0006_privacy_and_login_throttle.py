"""login attempts per (account, address); citizens' erasures; the privacy notice; audit lines without texts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Attempts counted per account and source address together (issue 17): a stranger can no
    # longer lock an officer out everywhere, which the account-wide counter allowed.
    op.create_table(
        "login_throttle",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("address", sa.String(64), primary_key=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")
    # One row per erased citizen: proof that it was done, by whom and why, with the counts that
    # reports keep. The citizen is named only by a hash of their id.
    op.create_table(
        "citizen_erasure",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subject_hash", sa.String(64), nullable=False, index=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.id")),
        sa.Column("username", sa.String(64)),
        sa.Column("counts", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    # The privacy notice goes once to each citizen, on their first contact.
    with op.batch_alter_table("zalo_conversation") as batch:
        batch.add_column(sa.Column("privacy_notice_at", sa.DateTime(timezone=True)))
    # The audit log records who did what, not the words of officers' replies and notes.
    audit_log = sa.table("audit_log", sa.column("action", sa.String), sa.column("detail", sa.Text))
    op.execute(audit_log.update()
               .where(audit_log.c.action.in_(["ticket.reply", "ticket.reply_failed", "ticket.note", "ticket.transfer"]))
               .values(detail=""))


def downgrade() -> None:
    with op.batch_alter_table("zalo_conversation") as batch:
        batch.drop_column("privacy_notice_at")
    op.drop_table("citizen_erasure")
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True)))
    op.drop_table("login_throttle")

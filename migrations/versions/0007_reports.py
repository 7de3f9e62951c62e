"""reports: a ticket's department clock, first response and rating; answer feedback; follower
snapshots; prepared monthly reports; indexes for a year's report

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A transfer restarts the receiving department's clock (its due time is computed from the
    # transfer), so the report measures from `assigned_at`, not from the ticket's creation.
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("first_response_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("rating", sa.Integer))  # 1..5, after a resolved request
        batch.add_column(sa.Column("rating_comment", sa.Text))
        batch.add_column(sa.Column("rated_at", sa.DateTime(timezone=True)))
        batch.create_index("ix_ticket_created_at", ["created_at"])
        batch.create_index("ix_ticket_closed_at", ["closed_at"])
    ticket = sa.table("ticket", sa.column("id", sa.Integer), sa.column("created_at", sa.DateTime),
                      sa.column("assigned_at", sa.DateTime), sa.column("first_response_at", sa.DateTime))
    event = sa.table("ticket_event", sa.column("ticket_id", sa.Integer), sa.column("kind", sa.String),
                     sa.column("created_at", sa.DateTime))
    last_transfer = (sa.select(sa.func.max(event.c.created_at))
                     .where(sa.and_(event.c.ticket_id == ticket.c.id, event.c.kind == "transferred"))
                     .scalar_subquery())
    op.execute(ticket.update().values(assigned_at=sa.func.coalesce(last_transfer, ticket.c.created_at)))
    first_reply = (sa.select(sa.func.min(event.c.created_at))
                   .where(sa.and_(event.c.ticket_id == ticket.c.id,
                                  event.c.kind.in_(["officer_reply", "officer_in_zalo"]),
                                  event.c.created_at >= ticket.c.assigned_at))
                   .scalar_subquery())
    op.execute(ticket.update().values(first_response_at=first_reply))

    # "Có giúp ích không?" on a bot answer: no path collects it yet; the report reads this table.
    op.create_table(
        "answer_feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("decision_id", sa.Integer, index=True),
        sa.Column("faq_id", sa.String(64), index=True),
        sa.Column("helpful", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    # The OA's follower count from Zalo's getoa, once a Vietnam day; a day without a row is unknown.
    op.create_table(
        "follower_snapshot",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("num_follower", sa.Integer, nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
    )
    # A month's report prepared by the web process at month end (the workbook, as served).
    op.create_table(
        "report_file",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("workbook", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("kind", "period_start", name="uq_report_file_period"),
    )
    # A year's report reads these by time only: covering indexes let both backends answer from the
    # index (bench/report_load.py).
    op.create_index("ix_decision_log_report", "decision_log", ["created_at", "decision", "reason", "faq_id"])
    op.create_index("ix_zalo_event_report", "zalo_event", ["event_name", "received_at", "user_id"])
    op.create_index("ix_zalo_outbound_report", "zalo_outbound", ["created_at", "status"])


def downgrade() -> None:
    op.drop_index("ix_zalo_outbound_report", "zalo_outbound")
    op.drop_index("ix_zalo_event_report", "zalo_event")
    op.drop_index("ix_decision_log_report", "decision_log")
    op.drop_table("report_file")
    op.drop_table("follower_snapshot")
    op.drop_table("answer_feedback")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_index("ix_ticket_closed_at")
        batch.drop_index("ix_ticket_created_at")
        for name in ("rated_at", "rating_comment", "rating", "first_response_at", "assigned_at"):
            batch.drop_column(name)

"""staff roles: one account may hold several roles (officer, leader, editor, admin)

`staff.role` held one value, so a person who answers citizens and curates the FAQs needed two
accounts. `staff_role` holds one row per (account, role); the column goes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Downgrading keeps one role per account: the widest it holds.
_WIDEST_FIRST = ("admin", "leader", "editor", "officer")


def upgrade() -> None:
    op.create_table(
        "staff_role",
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True),
    )
    staff = sa.table("staff", sa.column("id", sa.Integer), sa.column("role", sa.String))
    staff_role = sa.table("staff_role", sa.column("staff_id", sa.Integer), sa.column("role", sa.String))
    op.execute(staff_role.insert().from_select(["staff_id", "role"], sa.select(staff.c.id, staff.c.role)))
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("role")


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="officer"))
    staff = sa.table("staff", sa.column("id", sa.Integer), sa.column("role", sa.String))
    staff_role = sa.table("staff_role", sa.column("staff_id", sa.Integer), sa.column("role", sa.String))
    rank = sa.case({role: n for n, role in enumerate(_WIDEST_FIRST)}, value=staff_role.c.role)
    widest = (sa.select(staff_role.c.role).where(staff_role.c.staff_id == staff.c.id)
              .order_by(rank).limit(1).scalar_subquery())
    op.execute(staff.update().values(role=sa.func.coalesce(widest, "officer")))
    with op.batch_alter_table("staff") as batch:
        batch.alter_column("role", server_default=None)
    op.drop_table("staff_role")

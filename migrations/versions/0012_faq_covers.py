"""faq covers: the sub-case classes a FAQ's answer speaks to

Editors declare, beside the answer, which classes of data/subcases.yml (foreign, organisation,
change, reissue, penalty, tax, ...) the answer speaks to; a question naming one of them is then
answered instead of handed off for it. A JSON list like `excludes`; every FAQ already in the
database starts with none (the answer was written for the general case until an editor says
otherwise).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09
"""
from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_faq") as batch:
        batch.add_column(sa.Column("covers", sa.Text, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("kb_faq") as batch:
        batch.drop_column("covers")

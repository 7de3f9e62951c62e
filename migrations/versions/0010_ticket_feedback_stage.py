"""ticket feedback stage: the satisfaction question pending on a resolved request

After an officer resolves a request the citizen is asked one rating question and then, once, for
a comment. What is pending must survive a new Rasa session (the answer may come hours later), so
it is kept on the ticket: "rating" (asked, not answered), "comment" (rated, comment invited),
NULL (nothing pending).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("feedback_stage", sa.String(16)))


def downgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("feedback_stage")

"""release claim: until when a publisher holds a busy release, and how many trainings it started

A publish worker that takes a release holds it until `claimed_until` and renews that while it
works; a claim that ran out means the publisher died and the release goes back to the queue.
Until now the heartbeat rewrote `started_at`, which editors read as when the work started.
`attempts` counts the trainings started, so that a release that keeps killing its publisher is
given up instead of taken over for ever. A busy release at upgrade keeps the claim it had (its
last heartbeat plus the minute the publisher allowed); a release that had started counts one.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

CLAIM = timedelta(seconds=60)  # bot.faq.publish.CLAIM_SECONDS when this revision was written


def upgrade() -> None:
    with op.batch_alter_table("model_release") as batch:
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
    release = _release()
    op.execute(release.update().where(release.c.started_at.is_not(None)).values(attempts=1))
    conn = op.get_bind()
    busy = conn.execute(sa.select(release.c.id, release.c.started_at).where(
        release.c.status.in_(("training", "gating")), release.c.started_at.is_not(None))).all()
    for release_id, started_at in busy:
        conn.execute(release.update().where(release.c.id == release_id).values(claimed_until=_aware(started_at) + CLAIM))


def downgrade() -> None:
    # Before this revision a busy release's started_at was its last heartbeat.
    release = _release()
    conn = op.get_bind()
    busy = conn.execute(sa.select(release.c.id, release.c.claimed_until).where(
        release.c.status.in_(("training", "gating")), release.c.claimed_until.is_not(None))).all()
    for release_id, claimed_until in busy:
        conn.execute(release.update().where(release.c.id == release_id).values(started_at=_aware(claimed_until) - CLAIM))
    with op.batch_alter_table("model_release") as batch:
        batch.drop_column("attempts")
        batch.drop_column("claimed_until")


def _release() -> sa.sql.expression.TableClause:
    return sa.table("model_release", sa.column("id", sa.Integer), sa.column("status", sa.String),
                    sa.column("started_at", sa.DateTime(timezone=True)),
                    sa.column("claimed_until", sa.DateTime(timezone=True)), sa.column("attempts", sa.Integer))


def _aware(value: datetime) -> datetime:
    """SQLite gives the stored UTC time back without its zone."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

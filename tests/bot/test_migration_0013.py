"""Migration 0013 on both databases: events stored before it have no `sent_ms` (they keep their
arrival order); the downgrade drops the column, keeps the events and the pending index."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from tests.conftest import migrate

AT = datetime(2026, 12, 6, tzinfo=timezone.utc)


def _columns(engine) -> set[str]:
    with engine.connect() as conn:
        return {c["name"] for c in sa.inspect(conn).get_columns("inbound_event")}


def _indexes(engine) -> set[str]:
    with engine.connect() as conn:
        return {i["name"] for i in sa.inspect(conn).get_indexes("inbound_event")}


def test_stored_events_have_no_sent_time_after_the_upgrade_and_survive_the_downgrade(bare_engine):
    migrate(bare_engine, "upgrade", "0012")
    event = {"channel": "zalo", "event_key": "user_send_text:m1", "citizen": "84-1", "body": "{}", "received_at": AT}
    inbound = sa.table("inbound_event", *(sa.column(c) for c in event))
    with bare_engine.begin() as conn:
        conn.execute(inbound.insert(), [event])

    migrate(bare_engine, "upgrade", "0013")
    assert "sent_ms" in _columns(bare_engine)
    with bare_engine.begin() as conn:
        assert conn.execute(sa.text("SELECT sent_ms FROM inbound_event")).scalar_one() is None
        conn.execute(sa.text("INSERT INTO inbound_event (channel, event_key, citizen, body, received_at, attempts, sent_ms) "
                             "VALUES ('zalo', 'user_send_text:m2', '84-1', '{}', :at, 0, 1765000000000)"), {"at": AT})

    migrate(bare_engine, "downgrade", "0012")
    assert "sent_ms" not in _columns(bare_engine)
    assert "ix_inbound_event_pending" in _indexes(bare_engine)
    with bare_engine.connect() as conn:
        keys = conn.execute(sa.text("SELECT event_key FROM inbound_event ORDER BY id")).scalars().all()
    assert keys == ["user_send_text:m1", "user_send_text:m2"]

    migrate(bare_engine, "upgrade", "0013")  # and up again, cleanly
    assert "sent_ms" in _columns(bare_engine)

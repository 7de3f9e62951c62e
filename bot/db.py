"""The app's own tables (SQLAlchemy 1.4 in 2.0 style) and the engine for DATABASE_URL.

The schema is created and changed only by the Alembic migrations in migrations/.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache

from sqlalchemy import (
    Boolean, Column, DateTime, Float, Integer, MetaData, String, Table, Text, create_engine, insert,
)
from sqlalchemy.engine import Connection, Engine

from bot.config import database_url
from bot.decision import Decision

metadata = MetaData()

# One row per decision the live bot took: what leadership reports and FAQ editors review.
decision_log = Table(
    "decision_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sender_id", String(128), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("decision", String(16), nullable=False, index=True),
    Column("intent", String(64)),
    Column("faq_id", String(64), index=True),
    Column("confidence", Float, nullable=False),
    Column("department", String(64)),
    Column("candidates", Text, nullable=False),  # JSON list of FAQ ids
    Column("reason", String(128), nullable=False),
)


# Every Zalo webhook event, stored before it is acknowledged: the exactly-once ledger.
zalo_event = Table(
    "zalo_event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_key", String(160), nullable=False, unique=True),
    Column("event_name", String(64), nullable=False),
    Column("user_id", String(64), index=True),
    Column("body", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("handled_at", DateTime(timezone=True)),
)

# Each reply the bot tried to send on Zalo, with its fate (sent, undelivered after retries, or
# refused by Zalo for a reason officers must see).
zalo_outbound = Table(
    "zalo_outbound",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_key", String(160), index=True),
    Column("user_id", String(64), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("status", String(16), nullable=False),  # sent | undelivered | refused
    Column("error_code", Integer),
    Column("error_message", Text),
    Column("zalo_message_id", String(64)),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# One row per citizen on Zalo: what officers need to know about the conversation.
zalo_conversation = Table(
    "zalo_conversation",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("display_name", String(255)),
    Column("is_follower", Boolean, nullable=False, default=False),
    Column("bot_paused", Boolean, nullable=False, default=False),
    Column("paused_by_admin", String(64)),
    Column("attachments", Text, nullable=False, default="[]"),  # JSON list
    Column("last_error_code", Integer),
    Column("last_error_message", Text),
    Column("withdrawn_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The OA's access/refresh token pair: one row, refreshed under a row lock.
zalo_token = Table(
    "zalo_token",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("access_token", Text, nullable=False),
    Column("refresh_token", Text, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("status", String(32), nullable=False),  # ok | reconsent_required
    Column("last_error", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    # SQLite: wait for the writer (e.g. a token refresh) instead of failing at once.
    connect_args = {"timeout": 30} if url.startswith("sqlite") else {}
    return create_engine(url, future=True, pool_pre_ping=True, connect_args=connect_args)


def record_decision(
    connection: Connection, sender_id: str, channel: str, text: str, decision: Decision
) -> int:
    """Insert one decision; returns its id."""
    result = connection.execute(
        insert(decision_log).values(
            created_at=datetime.now(timezone.utc),
            sender_id=sender_id,
            channel=channel,
            text=storable(text),
            decision=decision.kind,
            intent=decision.intent,
            faq_id=decision.faq_id,
            confidence=float(decision.confidence),
            department=decision.department,
            candidates=json.dumps(list(decision.candidates)),
            reason=decision.reason,
        )
    )
    return int(result.inserted_primary_key[0])


def storable(text: str) -> str:
    """Text any database accepts: lone surrogates replaced, NUL removed (PostgreSQL refuses it)."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")

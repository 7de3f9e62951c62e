"""The app's own tables (SQLAlchemy 1.4 in 2.0 style) and the engine for DATABASE_URL.

The schema is created and changed only by the Alembic migrations in migrations/.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache

from sqlalchemy import (
    Column, DateTime, Float, Integer, MetaData, String, Table, Text, create_engine, insert,
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


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    return create_engine(url, future=True, pool_pre_ping=True)


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

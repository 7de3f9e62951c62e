"""The audit log: who did what, when, on which ticket. Written in the action's own transaction."""
from __future__ import annotations


from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Engine

from bot.db import audit_log, storable, utc_now


def audit(connection: Connection, staff_id: int | None, username: str | None, action: str,
          ticket_id: int | None = None, detail: str = "") -> None:
    connection.execute(insert(audit_log).values(
        at=utc_now(), staff_id=staff_id, username=username, action=action,
        ticket_id=ticket_id, detail=storable(detail)[:2000],
    ))


def recent(engine: Engine, limit: int = 200, ticket_id: int | None = None) -> list[dict]:
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if ticket_id is not None:
        query = query.where(audit_log.c.ticket_id == ticket_id)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]

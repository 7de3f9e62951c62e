"""What the Zalo channel keeps in the database: events, replies, conversations, the token pair.

Synchronous SQLAlchemy (1.4, 2.0 style); the channel calls it from a worker thread.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.db import storable, utc_now as now, zalo_conversation, zalo_event, zalo_outbound, zalo_token

SENT, UNDELIVERED, REFUSED = "sent", "undelivered", "refused"
# A reply handed to Zalo whose answer was not seen yet: the worker may have died in between.
SENDING = "sending"
NEVER_SENT = "the worker stopped before Zalo took this reply; it was sent again"
TOKEN_OK, TOKEN_RECONSENT = "ok", "reconsent_required"
TOKEN_ROW = 1
ERROR_LIMIT = 2000  # an error kept for operators: its type and message, not a whole traceback


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: datetime
    status: str = TOKEN_OK
    last_error: str | None = None

    def expires_within(self, margin: timedelta, at: datetime | None = None) -> bool:
        return self.expires_at - margin <= (at or now())


class ZaloStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- events: stored before the webhook answers, marked when handled
    def record_event(self, key: str, name: str, user_id: str | None, body: str) -> bool:
        """Store an event; False when this key was stored before (a duplicate delivery)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(zalo_event).values(
                    event_key=key, event_name=name, user_id=user_id, body=storable(body), received_at=now(),
                ))
            return True
        except IntegrityError:
            return False

    def mark_handled(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(zalo_event).where(zalo_event.c.event_key == key).values(handled_at=now()))

    def unhandled_events(self) -> list[tuple[str, str]]:
        """(key, body) of events acknowledged but neither handled nor parked as dead, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(zalo_event.c.event_key, zalo_event.c.body)
                .where(and_(zalo_event.c.handled_at.is_(None), zalo_event.c.dead_at.is_(None)))
                .order_by(zalo_event.c.id)
            ).all()
        return [(r.event_key, r.body) for r in rows]

    def record_failure(self, key: str, error: str, max_attempts: int) -> bool:
        """Count a failed handling; True when this one parks the event as dead (it is not retried)."""
        with self.engine.begin() as conn:
            conn.execute(update(zalo_event).where(zalo_event.c.event_key == key).values(
                attempts=zalo_event.c.attempts + 1, last_error=storable(error)[:ERROR_LIMIT]))
            # The guard is in the WHERE: two racing failures park it once.
            parked = conn.execute(update(zalo_event).where(and_(
                zalo_event.c.event_key == key, zalo_event.c.dead_at.is_(None),
                zalo_event.c.attempts >= max_attempts)).values(dead_at=now()))
        return parked.rowcount == 1

    def dead_events(self, limit: int = 200) -> list[Any]:
        """Events parked after failing again and again, newest first, for operators."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(zalo_event.c.id, zalo_event.c.event_key, zalo_event.c.event_name, zalo_event.c.user_id,
                       zalo_event.c.received_at, zalo_event.c.attempts, zalo_event.c.last_error, zalo_event.c.dead_at)
                .where(zalo_event.c.dead_at.is_not(None))
                .order_by(zalo_event.c.dead_at.desc(), zalo_event.c.id.desc())
                .limit(limit)
            ).all()

    def was_answered(self, key: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(
                select(zalo_outbound.c.id).where(and_(zalo_outbound.c.event_key == key, zalo_outbound.c.status == SENT))
            ).first() is not None

    # ---- replies
    def record_outbound(
        self, event_key: str | None, user_id: str, text: str, status: str, attempts: int,
        error_code: int | None = None, error_message: str | None = None, zalo_message_id: str | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(zalo_outbound).values(
                event_key=event_key, user_id=user_id, text=storable(text), status=status, attempts=attempts,
                error_code=error_code, error_message=error_message, zalo_message_id=zalo_message_id,
                created_at=now(),
            ))
            if status != SENT:
                _upsert_conversation(conn, user_id, last_error_code=error_code, last_error_message=error_message)

    def begin_outbound(self, event_key: str | None, user_id: str, text: str) -> int:
        """A reply about to be handed to Zalo, kept first: a worker killed after Zalo took it and
        before `finish_outbound` leaves this row, which `unconfirmed_sends` shows the next worker."""
        with self.engine.begin() as conn:
            return int(conn.execute(insert(zalo_outbound).values(
                event_key=event_key, user_id=user_id, text=storable(text), status=SENDING, attempts=0, created_at=now(),
            )).inserted_primary_key[0])

    def finish_outbound(self, row_id: int, status: str, attempts: int, error_code: int | None = None,
                        error_message: str | None = None, zalo_message_id: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(zalo_outbound).where(zalo_outbound.c.id == row_id).values(
                status=status, attempts=attempts, error_code=error_code, error_message=error_message,
                zalo_message_id=zalo_message_id,
            ))
            user_id = conn.execute(select(zalo_outbound.c.user_id).where(zalo_outbound.c.id == row_id)).scalar_one_or_none()
            if status != SENT and user_id is not None:  # None: erased meanwhile
                _upsert_conversation(conn, user_id, last_error_code=error_code, last_error_message=error_message)

    def unconfirmed_sends(self, event_key: str) -> list[Any]:
        """Replies to an event handed to Zalo by a worker that did not see the answer (it died)."""
        with self.engine.connect() as conn:
            return conn.execute(select(zalo_outbound).where(and_(
                zalo_outbound.c.event_key == event_key, zalo_outbound.c.status == SENDING)).order_by(zalo_outbound.c.id)).all()

    def settle_send(self, row_id: int, zalo_message_id: str | None) -> None:
        """What Zalo's record of the conversation says of an unconfirmed send: sent (with Zalo's
        message id), or never taken (the turn is then run again and its reply sent anew)."""
        values = ({"status": SENT, "zalo_message_id": zalo_message_id} if zalo_message_id is not None
                  else {"status": UNDELIVERED, "error_message": NEVER_SENT})
        with self.engine.begin() as conn:
            conn.execute(update(zalo_outbound).where(and_(zalo_outbound.c.id == row_id, zalo_outbound.c.status == SENDING))
                         .values(**values))

    def outbound(self, user_id: str) -> list[Any]:
        with self.engine.connect() as conn:
            return conn.execute(
                select(zalo_outbound).where(zalo_outbound.c.user_id == user_id).order_by(zalo_outbound.c.id)
            ).all()

    # ---- conversations
    def conversation(self, user_id: str) -> Any | None:
        with self.engine.connect() as conn:
            return conn.execute(select(zalo_conversation).where(zalo_conversation.c.user_id == user_id)).first()

    def update_conversation(self, user_id: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            _upsert_conversation(conn, user_id, **values)

    def add_attachments(self, user_id: str, attachments: list[dict[str, Any]]) -> None:
        with self.engine.begin() as conn:
            row = conn.execute(select(zalo_conversation.c.attachments).where(zalo_conversation.c.user_id == user_id)).first()
            kept = json.loads(row.attachments) if row else []
            _upsert_conversation(conn, user_id, attachments=json.dumps(kept + attachments, ensure_ascii=False))

    def token(self) -> TokenPair | None:
        with self.engine.connect() as conn:
            return _read_token(conn)

    def seed_token(self, access_token: str, refresh_token: str, expires_at: datetime) -> None:
        """Write the pair from the environment, only on first start."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(zalo_token).values(
                    id=TOKEN_ROW, access_token=access_token, refresh_token=refresh_token, expires_at=expires_at,
                    status=TOKEN_OK, updated_at=now(),
                ))
        except IntegrityError:
            pass  # already seeded: the stored pair may be newer than the environment's

    def lock_token(self, conn: Connection) -> TokenPair | None:
        """Take the token row's write lock for this transaction and read the pair under it.

        The dummy UPDATE takes SQLite's write lock and a PostgreSQL row lock alike, so only one
        process at a time can spend the single-use refresh token.
        """
        conn.execute(update(zalo_token).where(zalo_token.c.id == TOKEN_ROW).values(updated_at=zalo_token.c.updated_at))
        return _read_token(conn, for_update=True)

    def save_token(self, conn: Connection, pair: TokenPair) -> None:
        conn.execute(update(zalo_token).where(zalo_token.c.id == TOKEN_ROW).values(
            access_token=pair.access_token, refresh_token=pair.refresh_token, expires_at=pair.expires_at,
            status=pair.status, last_error=pair.last_error, updated_at=now(),
        ))

    def mark_token_problem(self, status: str, error: str) -> None:
        """Record why refreshing failed without touching the (still good, or only) pair."""
        with self.engine.begin() as conn:
            conn.execute(update(zalo_token).where(zalo_token.c.id == TOKEN_ROW).values(
                status=status, last_error=error, updated_at=now(),
            ))

    def mark_notified(self, user_id: str) -> bool:
        """True once per citizen: the first call, which records that the privacy notice went out."""
        with self.engine.begin() as conn:
            _upsert_conversation(conn, user_id)
            return conn.execute(update(zalo_conversation).where(and_(
                zalo_conversation.c.user_id == user_id, zalo_conversation.c.privacy_notice_at.is_(None),
            )).values(privacy_notice_at=now())).rowcount == 1


def _read_token(conn: Connection, for_update: bool = False) -> TokenPair | None:
    query = select(zalo_token).where(zalo_token.c.id == TOKEN_ROW)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        return None
    expires_at = row.expires_at
    return TokenPair(row.access_token, row.refresh_token, expires_at, row.status, row.last_error)


def _upsert_conversation(conn: Connection, user_id: str, **values: Any) -> None:
    values["updated_at"] = now()
    result = conn.execute(update(zalo_conversation).where(zalo_conversation.c.user_id == user_id).values(**values))
    if result.rowcount == 0:
        defaults = {"is_follower": False, "attachments": "[]"}
        conn.execute(insert(zalo_conversation).values(user_id=user_id, **{**defaults, **values}))

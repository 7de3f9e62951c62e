"""The app's own tables (SQLAlchemy 1.4 in 2.0 style) and the engine for DATABASE_URL.

The schema is created and changed only by the Alembic migrations in migrations/.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timezone
from functools import lru_cache
from typing import TypeVar

from sqlalchemy import (
    Boolean, Column, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table,
    Text, TypeDecorator, UniqueConstraint, create_engine, insert,
)
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool
from sqlalchemy.engine import Connection, Engine

from bot.config import database_url
from bot.decision import Decision

metadata = MetaData()


class UtcDateTime(TypeDecorator):
    """An aware datetime stored in UTC and read back aware, on every backend.

    SQLite keeps no offset: without this, 09:00+07:00 would come back as 09:00 UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)

# One row per decision the live bot took: what leadership reports and FAQ editors review.
decision_log = Table(
    "decision_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
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
    Index("ix_decision_log_report", "created_at", "decision", "reason", "faq_id"),
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
    Column("received_at", UtcDateTime, nullable=False),
    Column("handled_at", UtcDateTime),
    # an event that fails again and again is parked (dead_at) with its error, for operators
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("dead_at", UtcDateTime),
    Index("ix_zalo_event_report", "event_name", "received_at", "user_id"),
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
    Column("status", String(16), nullable=False),  # sending (handed to Zalo, answer not seen) | sent | undelivered | refused
    Column("error_code", Integer),
    Column("error_message", Text),
    Column("zalo_message_id", String(64)),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_zalo_outbound_report", "created_at", "status"),
)

# One row per citizen on Zalo: what officers need to know about the conversation.
zalo_conversation = Table(
    "zalo_conversation",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("display_name", String(255)),
    Column("is_follower", Boolean, nullable=False, default=False),
    Column("attachments", Text, nullable=False, default="[]"),  # JSON list
    Column("last_error_code", Integer),
    Column("last_error_message", Text),
    Column("withdrawn_at", UtcDateTime),
    Column("privacy_notice_at", UtcDateTime),  # when the privacy notice went to them (once)
    Column("updated_at", UtcDateTime, nullable=False),
)

# The OA's access/refresh token pair: one row, refreshed under a row lock.
zalo_token = Table(
    "zalo_token",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("access_token", Text, nullable=False),
    Column("refresh_token", Text, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("status", String(32), nullable=False),  # ok | reconsent_required
    Column("last_error", Text),
    Column("updated_at", UtcDateTime, nullable=False),
)


# Departments that own citizens' questions, seeded from data/departments.yml, edited by admins.
department = Table(
    "department",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("working_days", String(32), nullable=False),  # "1-5": ISO weekdays
    Column("working_periods", String(128), nullable=False),  # "07:30-11:30, 13:30-17:00"
    Column("response_hours", Float, nullable=False),  # target, in working hours
    Column("canned_replies", Text, nullable=False, default="[]"),  # JSON [{"title", "text"}]
    Column("is_general_queue", Boolean, nullable=False, default=False),
    Column("position", Integer, nullable=False, default=0),
)

# Public holidays of the unit: no department works on them.
holiday = Table(
    "holiday",
    metadata,
    Column("day", Date, primary_key=True),
    Column("name", String(255), nullable=False),
)

staff = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(255), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("department_code", String(64), ForeignKey("department.code")),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime, nullable=False),
)

# An account's roles (officer, leader, editor, admin): one person may hold several.
staff_role = Table(
    "staff_role",
    metadata,
    Column("staff_id", Integer, ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), primary_key=True),
)

# Log-in attempts per account and source address in the current window (one conditional UPDATE
# takes an attempt, so concurrent guesses cannot all be checked).
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("address", String(64), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("window_start", UtcDateTime, nullable=False, index=True),
)

# A signed-in browser: the cookie holds the token, the database only its hash.
staff_session = Table(
    "staff_session",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", Integer, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

# A citizen's question handed to people. `open_citizen` is the citizen's id while the ticket is
# open and NULL once closed: its unique index allows one open ticket per citizen, race or not.
ticket = Table(
    "ticket",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("citizen_id", String(128), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("citizen_name", String(255)),
    Column("question", Text, nullable=False),
    Column("department_code", String(64), ForeignKey("department.code"), nullable=False, index=True),
    Column("routing_reason", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),  # new | in_progress | waiting_citizen | done
    Column("open_citizen", String(128), unique=True),
    Column("due_at", UtcDateTime, nullable=False, index=True),
    Column("holder_id", Integer, ForeignKey("staff.id")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("last_citizen_at", UtcDateTime),
    Column("closed_at", UtcDateTime),
    Column("closed_reason", String(32)),  # resolved | cancelled_by_citizen
    # The current department got it then (creation or the last transfer): its clock starts here.
    Column("assigned_at", UtcDateTime),
    Column("first_response_at", UtcDateTime),  # the current department's first reply
    Column("rating", Integer),  # 1..5, the citizen's after a resolved request (buttons: 5, 3, 1)
    Column("rating_comment", Text),
    Column("rated_at", UtcDateTime),
    # The satisfaction question pending after resolving: "rating", then "comment", else NULL (0010).
    Column("feedback_stage", String(16)),
    Index("ix_ticket_created_at", "created_at"),
    Index("ix_ticket_closed_at", "closed_at"),
)

# Everything that happened on a ticket, in order: the conversation and the officers' actions.
ticket_event = Table(
    "ticket_event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", Integer, ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("staff_id", Integer, ForeignKey("staff.id")),
    Column("text", Text, nullable=False, default=""),
    Column("data", Text, nullable=False, default="{}"),  # JSON
    Column("created_at", UtcDateTime, nullable=False),
)

# Who did what, when, on which ticket: every staff action in the web app.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("staff_id", Integer, ForeignKey("staff.id")),
    Column("username", String(64)),
    Column("action", String(64), nullable=False),
    Column("ticket_id", Integer, index=True),
    Column("detail", Text, nullable=False, default=""),
)


# A citizen's data erased (Zalo user_withdraw or an admin's action): who, why, what counts were
# kept; the citizen is named only by subject_hash (bot.privacy.subject_hash).
citizen_erasure = Table(
    "citizen_erasure",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subject_hash", String(64), nullable=False, index=True),
    Column("source", String(16), nullable=False),  # user_withdraw | admin
    Column("reason", Text, nullable=False),
    Column("staff_id", Integer, ForeignKey("staff.id")),
    Column("username", String(64)),
    Column("counts", Text, nullable=False),  # JSON {table: rows erased or anonymised}
    Column("at", UtcDateTime, nullable=False),
)


# The knowledge base as staff curate it (issue 6): seeded from data/faq/*.yml, which stay the
# import format. `version` grows with every saved change: the optimistic check of two editors.
kb_faq = Table(
    "kb_faq",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("department_code", String(64), nullable=False),
    Column("topic", String(255), nullable=False),
    Column("title", String(255), nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("legal_basis", Text, nullable=False),  # JSON list
    Column("keywords", Text, nullable=False),  # JSON list
    Column("excludes", Text, nullable=False),  # JSON list
    Column("covers", Text, nullable=False, server_default="[]"),  # JSON list of data/subcases.yml classes
    Column("confidence", String(16), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(64), nullable=False),
)

# A FAQ's question variants (the training questions), by style, in order.
kb_question = Table(
    "kb_question",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("faq_id", String(64), ForeignKey("kb_faq.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("style", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("folded", String(600), nullable=False, index=True),
    Column("position", Integer, nullable=False),
)

# Every saved state of a FAQ (JSON snapshot): its history and the diff between versions.
kb_revision = Table(
    "kb_revision",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("faq_id", String(64), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("action", String(32), nullable=False),
    Column("snapshot", Text, nullable=False),
    Column("staff_id", Integer, ForeignKey("staff.id")),
    Column("username", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

# Officers' proposals ("dạy bot" from a resolved ticket, a variant, a new FAQ) for an editor.
kb_suggestion = Table(
    "kb_suggestion",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # teach | variant | new_faq
    Column("faq_id", String(64)),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False, default=""),
    Column("ticket_id", Integer),
    Column("staff_id", Integer, ForeignKey("staff.id")),
    Column("username", String(64), nullable=False),
    Column("status", String(16), nullable=False, index=True),  # open | accepted | dismissed
    Column("created_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime),
    Column("decided_by", String(64)),
)

# What an editor did with a message the bot could not answer (decision_log row).
kb_reviewed_message = Table(
    "kb_reviewed_message",
    metadata,
    Column("decision_id", Integer, primary_key=True),
    Column("outcome", String(16), nullable=False),  # added | new_faq | dismissed
    Column("faq_id", String(64)),
    Column("username", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

# Models built from the knowledge base: queued, trained, gated, live, refused, rolled back.
model_release = Table(
    "model_release",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("status", String(16), nullable=False, index=True),
    Column("fingerprint", String(64)),
    Column("model_path", Text),
    Column("data_dir", Text),
    Column("requested_by", String(64), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime),  # when the work on it started (its latest attempt)
    Column("finished_at", UtcDateTime),
    Column("progress", Text, nullable=False, default=""),
    Column("report", Text, nullable=False, default="{}"),  # JSON: the gate's comparison
    Column("live", Boolean, nullable=False, default=False),
    # A busy release's publisher holds it until then and renews it while it works (bot/faq/publish.py).
    Column("claimed_until", UtcDateTime),
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),  # trainings started
)

# "Câu trả lời có giúp được anh/chị không?" on a bot answer (bot/core/satisfaction.py).
answer_feedback = Table(
    "answer_feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("decision_id", Integer, index=True),
    Column("faq_id", String(64), index=True),
    Column("helpful", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
)

# The OA's follower count (Zalo getoa `num_follower`), once a Vietnam day; no row: unknown.
follower_snapshot = Table(
    "follower_snapshot",
    metadata,
    Column("day", Date, primary_key=True),
    Column("num_follower", Integer, nullable=False),
    Column("taken_at", UtcDateTime, nullable=False),
)

# A month's report prepared at month end: the workbook as it is served.
report_file = Table(
    "report_file",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # month
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("prepared_at", UtcDateTime, nullable=False),
    Column("workbook", LargeBinary, nullable=False),
    UniqueConstraint("kind", "period_start", name="uq_report_file_period"),
)


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if not url.startswith("sqlite") or ":memory:" in url or url.rstrip("/") == "sqlite:":
        return create_engine(url, future=True, pool_pre_ping=True)
    # SQLite: wait for the writer (e.g. a token refresh) instead of failing at once; keep
    # connections (SQLAlchemy 1.4 opens a new one per use for a file database: a connect and the
    # pragmas below on every query cost more than the query).
    engine = create_engine(url, future=True, pool_pre_ping=True, poolclass=QueuePool, pool_size=10, max_overflow=20,
                           connect_args={"timeout": 30, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


T = TypeVar("T")
# A PostgreSQL restart or fail-over takes seconds; a write that records something already done
# outside (a message Zalo has delivered) waits that out rather than have the turn run twice.
RECONNECT_PATIENCE_SECONDS = 30.0


def when_reachable(write: Callable[[], T], patience: float = RECONNECT_PATIENCE_SECONDS, pause: float = 0.5) -> T:
    """`write()`, tried again while the database cannot be reached (a lost connection, a server
    restarting); any other error, or one that outlasts `patience`, is raised."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return write()
        except DBAPIError as exc:
            if not _unreachable(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)


def _unreachable(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    # psycopg2 says OperationalError for a refused connection and for "the database system is
    # starting up / shutting down"; SQLite's "database is locked" is one too and worth waiting out.
    return type(exc.orig).__name__ in {"OperationalError", "InterfaceError", "AdminShutdown", "CannotConnectNow"}


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # Four processes share the file (web, Rasa, actions, CLI): in WAL mode readers never wait for
    # the writer and a write is one append, so the webhook's insert is not queued behind a
    # tracker save (measured: ack p50 223 ms before). WAL is kept by the file once set.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def utc_now() -> datetime:
    """The time every table stores (UtcDateTime): aware, in UTC."""
    return datetime.now(timezone.utc)


def record_decision(
    connection: Connection, sender_id: str, channel: str, text: str, decision: Decision
) -> int:
    """Insert one decision; returns its id."""
    result = connection.execute(
        insert(decision_log).values(
            created_at=utc_now(),
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

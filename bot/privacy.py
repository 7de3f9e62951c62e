"""A citizen's personal data (Nghị định 13/2023/NĐ-CP; Luật Bảo vệ dữ liệu cá nhân 2025).

Three duties, as plain functions over the app database (and Rasa's tracker table when it lives
in the same database, as endpoints.yml's AppTrackerStore puts it):

* `erase_citizen`: on Zalo's `user_withdraw` or an admin's action, every trace of one citizen is
  deleted or irreversibly anonymised, in one transaction; rows that reports count (decisions,
  tickets, events) stay, without text, name or Zalo id.
* `export_citizen`: a copy of everything stored about one citizen, as JSON.
* `purge_expired`: texts and names older than the retention period are blanked (a scheduled job).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, inspect, or_, select, update
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Connection, Engine

from bot.config import public_url
from bot.db import (
    audit_log, citizen_erasure, decision_log, kb_suggestion, login_throttle, storable, ticket, ticket_event,
    utc_now, zalo_conversation, zalo_event, zalo_outbound,
)
from bot.handoff.audit import audit
from bot.inbound_ledger import inbound_event
from bot.handoff.tickets import CLOSED, DONE
from bot.replies import Replies

logger = logging.getLogger(__name__)

WITHDRAW, ADMIN = "user_withdraw", "admin"
ERASED_REASON = "erased"  # ticket.closed_reason of a ticket closed because its citizen was erased
DEFAULT_RETENTION_MONTHS = 12
PURGE_EVERY = timedelta(hours=6)
PAGE_PATH = "/du-lieu-ca-nhan"  # the public privacy page (docs/privacy.md)
ERASURE_NOTE = {
    WITHDRAW: "Yêu cầu đã đóng: công dân rút lại sự đồng ý, dữ liệu của công dân đã được xóa.",
    ADMIN: "Yêu cầu đã đóng: dữ liệu của công dân đã được xóa theo yêu cầu.",
}

# Rasa's SQL tracker store table (rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent), declared
# here so that bot/ needs no Rasa to erase or copy a citizen's tracker.
tracker_events = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


class PrivacyError(ValueError):
    """A request about personal data that cannot be carried out, in Vietnamese."""


@dataclass(frozen=True)
class Erasure:
    id: int
    counts: dict[str, int]


def retention_months() -> int:
    """BOT_RETENTION_MONTHS (whole months, at least 1), else 12."""
    value = os.environ.get("BOT_RETENTION_MONTHS", "").strip()
    if not value:
        return DEFAULT_RETENTION_MONTHS
    try:
        months = int(value)
    except ValueError:
        raise PrivacyError(f"BOT_RETENTION_MONTHS phải là số tháng, không phải {value!r}") from None
    if months < 1:
        raise PrivacyError(f"BOT_RETENTION_MONTHS phải từ 1 tháng trở lên, không phải {months}")
    return months


def privacy_url() -> str:
    return public_url() + PAGE_PATH


def notice_text(replies: Replies) -> str:
    """The short notice the bot sends once to every citizen, with the link to the privacy page."""
    return replies.text("privacy_notice", privacy_url=privacy_url(), retention_months=str(retention_months()))


def subject_hash(user_id: str) -> str:
    """How an erasure names its citizen: enough to answer "was I erased?", not to find them."""
    return hashlib.sha256(f"citizen:{user_id}".encode("utf-8")).hexdigest()


def _check_id(user_id: str) -> str:
    user_id = (user_id or "").strip()
    if not user_id or len(user_id) > 128:
        raise PrivacyError("cần mã công dân (Zalo user id), tối đa 128 ký tự")
    return user_id


# ---- erasure
def erase_citizen(engine: Engine, user_id: str, source: str, reason: str,
                  staff_id: int | None = None, username: str | None = None) -> Erasure:
    """Erase or anonymise every row about one citizen; returns what was done, per table.

    An open ticket is closed with a note; the citizen's unhandled Zalo events are marked handled,
    so nothing is sent to them afterwards. The erasure and its audit line are in the same
    transaction as the erasure itself.
    """
    user_id, reason = _check_id(user_id), storable(reason.strip())[:2000]
    if source == ADMIN and not reason:
        raise PrivacyError("cần ghi lý do xóa dữ liệu")
    now = utc_now()
    with engine.begin() as conn:
        erasure_id = int(conn.execute(insert(citizen_erasure).values(
            subject_hash=subject_hash(user_id), source=source, reason=reason or "Công dân rút lại sự đồng ý trên Zalo",
            staff_id=staff_id, username=username, counts="{}", at=now,
        )).inserted_primary_key[0])
        alias = f"erased:{erasure_id}"
        counts = _erase(conn, user_id, alias, ERASURE_NOTE.get(source, ERASURE_NOTE[ADMIN]), now)
        conn.execute(update(citizen_erasure).where(citizen_erasure.c.id == erasure_id).values(counts=json.dumps(counts)))
        audit(conn, staff_id, username or "zalo", "privacy.erase", detail=f"#{erasure_id}: {reason}" if reason else f"#{erasure_id}")
    logger.info("citizen data erased (erasure #%d, %s): %s", erasure_id, source, counts)
    return Erasure(erasure_id, counts)


def _erase(conn: Connection, user_id: str, alias: str, note: str, now: datetime) -> dict[str, int]:
    counts: dict[str, int] = {}
    ticket_ids = conn.execute(select(ticket.c.id).where(ticket.c.citizen_id == user_id)).scalars().all()
    counts["ticket_event"] = conn.execute(delete(ticket_event).where(ticket_event.c.ticket_id.in_(ticket_ids))).rowcount
    open_ids = conn.execute(select(ticket.c.id).where(ticket.c.open_citizen == user_id)).scalars().all()
    conn.execute(update(ticket).where(ticket.c.id.in_(open_ids)).values(
        status=DONE, open_citizen=None, closed_at=now, closed_reason=ERASED_REASON, updated_at=now))
    for ticket_id in open_ids:
        conn.execute(insert(ticket_event).values(ticket_id=ticket_id, kind=CLOSED, text=note,
                                                 data=json.dumps({"reason": ERASED_REASON}), created_at=now))
    # Kept for the reports (department, times, status), without question, name or id.
    counts["ticket"] = conn.execute(update(ticket).where(ticket.c.id.in_(ticket_ids)).values(
        citizen_id=alias, citizen_name=None, question="", routing_reason="", rating_comment=None,
        feedback_stage=None)).rowcount
    counts["ticket_closed"] = len(open_ids)
    counts["kb_suggestion"] = conn.execute(delete(kb_suggestion).where(kb_suggestion.c.ticket_id.in_(ticket_ids))).rowcount
    counts["audit_log"] = conn.execute(update(audit_log).where(or_(
        audit_log.c.ticket_id.in_(ticket_ids), audit_log.c.detail.contains(user_id, autoescape=True),
    )).values(detail="")).rowcount
    counts["decision_log"] = conn.execute(update(decision_log).where(decision_log.c.sender_id == user_id).values(
        sender_id=alias, text="")).rowcount
    counts["zalo_event"] = conn.execute(update(zalo_event).where(or_(
        zalo_event.c.user_id == user_id, zalo_event.c.body.contains(user_id, autoescape=True),
        zalo_event.c.event_key.contains(user_id, autoescape=True),
    )).values(user_id=None, body="{}", last_error=None, handled_at=func.coalesce(zalo_event.c.handled_at, now))).rowcount
    # Events without a message id are keyed by the citizen's id (connectors/zalo/events.py).
    keyed = conn.execute(select(zalo_event.c.id, zalo_event.c.event_key)
                         .where(zalo_event.c.event_key.contains(user_id, autoescape=True))).all()
    for row in keyed:
        digest = hashlib.sha256(row.event_key.encode("utf-8")).hexdigest()
        conn.execute(update(zalo_event).where(zalo_event.c.id == row.id).values(event_key=f"erased:{digest}"))
    # The inbound ledger's copies likewise; marked handled, so no turn worker answers them later.
    counts["inbound_event"] = conn.execute(update(inbound_event).where(or_(
        inbound_event.c.citizen == user_id, inbound_event.c.body.contains(user_id, autoescape=True),
        inbound_event.c.event_key.contains(user_id, autoescape=True),
    )).values(citizen=alias, body="{}", last_error=None,
              handled_at=func.coalesce(inbound_event.c.handled_at, now))).rowcount
    for row in conn.execute(select(inbound_event.c.id, inbound_event.c.event_key)
                            .where(inbound_event.c.event_key.contains(user_id, autoescape=True))).all():
        digest = hashlib.sha256(row.event_key.encode("utf-8")).hexdigest()
        conn.execute(update(inbound_event).where(inbound_event.c.id == row.id).values(event_key=f"erased:{digest}"))
    counts["zalo_outbound"] = conn.execute(delete(zalo_outbound).where(zalo_outbound.c.user_id == user_id)).rowcount
    counts["zalo_conversation"] = conn.execute(
        delete(zalo_conversation).where(zalo_conversation.c.user_id == user_id)).rowcount
    if has_tracker_table(conn):
        counts["events"] = conn.execute(delete(tracker_events).where(tracker_events.c.sender_id == user_id)).rowcount
    return counts


def has_tracker_table(conn: Connection) -> bool:
    """True when Rasa's SQL tracker store keeps its `events` table in this database."""
    if not inspect(conn).has_table("events"):
        return False
    return {"sender_id", "type_name", "data"} <= {c["name"] for c in inspect(conn).get_columns("events")}


def was_erased(engine: Engine, user_id: str, since: datetime | None = None) -> bool:
    with engine.connect() as conn:
        query = select(citizen_erasure.c.id).where(citizen_erasure.c.subject_hash == subject_hash(user_id))
        if since is not None:
            query = query.where(citizen_erasure.c.at >= since)
        return conn.execute(query.limit(1)).first() is not None


def recent_erasures(engine: Engine, limit: int = 50) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(citizen_erasure).order_by(citizen_erasure.c.id.desc()).limit(limit)).mappings().all()
    return [{**row, "counts": json.loads(row["counts"])} for row in rows]


# ---- a copy for the citizen
def export_citizen(engine: Engine, user_id: str) -> dict[str, Any]:
    """Everything stored about one citizen, as JSON-ready data."""
    user_id = _check_id(user_id)
    with engine.connect() as conn:
        conversation = conn.execute(select(zalo_conversation).where(zalo_conversation.c.user_id == user_id)).mappings().first()
        tickets = conn.execute(select(ticket.c.id, ticket.c.created_at, ticket.c.citizen_name, ticket.c.question,
                                      ticket.c.department_code, ticket.c.status, ticket.c.closed_at)
                               .where(ticket.c.citizen_id == user_id).order_by(ticket.c.id)).mappings().all()
        ticket_ids = [t["id"] for t in tickets]
        events = conn.execute(select(ticket_event.c.ticket_id, ticket_event.c.kind, ticket_event.c.text,
                                     ticket_event.c.created_at)
                              .where(ticket_event.c.ticket_id.in_(ticket_ids))
                              .order_by(ticket_event.c.id)).mappings().all()
        decisions = conn.execute(select(decision_log.c.created_at, decision_log.c.text, decision_log.c.decision,
                                        decision_log.c.faq_id, decision_log.c.department)
                                 .where(decision_log.c.sender_id == user_id).order_by(decision_log.c.id)).mappings().all()
        replies = conn.execute(select(zalo_outbound.c.created_at, zalo_outbound.c.text, zalo_outbound.c.status)
                               .where(zalo_outbound.c.user_id == user_id).order_by(zalo_outbound.c.id)).mappings().all()
        received = conn.execute(select(zalo_event.c.received_at, zalo_event.c.event_name, zalo_event.c.body)
                                .where(zalo_event.c.user_id == user_id).order_by(zalo_event.c.id)).mappings().all()
        tracker = []
        if has_tracker_table(conn):
            tracker = conn.execute(select(tracker_events.c.timestamp, tracker_events.c.type_name, tracker_events.c.data)
                                   .where(tracker_events.c.sender_id == user_id).order_by(tracker_events.c.id)).mappings().all()
    return _jsonable({
        "citizen": user_id,
        "exported_at": utc_now(),
        "retention_months": retention_months(),
        "conversation": dict(conversation) if conversation else None,
        "tickets": [{**t, "events": [e for e in events if e["ticket_id"] == t["id"]]} for t in tickets],
        "decisions": decisions,
        "replies": replies,
        "zalo_events": [{**e, "body": _parsed(e["body"])} for e in received],
        "rasa_tracker": [{**e, "data": _parsed(e["data"])} for e in tracker],
    })


def _parsed(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict) or hasattr(value, "keys"):
        return {str(k): _jsonable(value[k]) for k in value.keys()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


# ---- retention
def retention_cutoff(now: datetime | None = None, months: int | None = None) -> datetime:
    months = retention_months() if months is None else months
    return (now or utc_now()) - timedelta(days=round(months * 365.25 / 12))


def purge_expired(engine: Engine, now: datetime | None = None, months: int | None = None) -> dict[str, int]:
    """Blank message texts and names older than the retention period; rows stay for the reports."""
    now = now or utc_now()
    cutoff = retention_cutoff(now, months)
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        old_tickets = select(ticket.c.id).where(and_(ticket.c.closed_at.is_not(None), ticket.c.closed_at < cutoff))
        counts["ticket"] = conn.execute(update(ticket).where(and_(
            ticket.c.id.in_(old_tickets), or_(ticket.c.question != "", ticket.c.citizen_name.is_not(None),
                                              ticket.c.rating_comment.is_not(None)),
        )).values(question="", citizen_name=None, routing_reason="", rating_comment=None)).rowcount
        counts["ticket_event"] = conn.execute(update(ticket_event).where(and_(
            ticket_event.c.ticket_id.in_(old_tickets), or_(ticket_event.c.text != "", ticket_event.c.data != "{}"),
        )).values(text="", data="{}")).rowcount
        counts["kb_suggestion"] = conn.execute(delete(kb_suggestion).where(and_(
            kb_suggestion.c.ticket_id.in_(old_tickets), kb_suggestion.c.status != "open"))).rowcount
        counts["audit_log"] = conn.execute(update(audit_log).where(and_(
            audit_log.c.ticket_id.in_(old_tickets), audit_log.c.detail != ""))
            .values(detail="")).rowcount
        counts["decision_log"] = conn.execute(update(decision_log).where(and_(
            decision_log.c.created_at < cutoff, decision_log.c.text != "")).values(text="")).rowcount
        counts["zalo_event"] = conn.execute(update(zalo_event).where(and_(
            zalo_event.c.received_at < cutoff, zalo_event.c.body != "{}")).values(body="{}", last_error=None)).rowcount
        counts["inbound_event"] = conn.execute(update(inbound_event).where(and_(
            inbound_event.c.received_at < cutoff, inbound_event.c.body != "{}")).values(body="{}", last_error=None)).rowcount
        counts["zalo_outbound"] = conn.execute(update(zalo_outbound).where(and_(
            zalo_outbound.c.created_at < cutoff, zalo_outbound.c.text != "")).values(text="", error_message=None)).rowcount
        counts["zalo_conversation"] = conn.execute(update(zalo_conversation).where(and_(
            zalo_conversation.c.updated_at < cutoff,
            or_(zalo_conversation.c.display_name.is_not(None), zalo_conversation.c.attachments != "[]"),
        )).values(display_name=None, attachments="[]", last_error_message=None)).rowcount
        if has_tracker_table(conn):
            counts["events"] = conn.execute(delete(tracker_events).where(
                tracker_events.c.timestamp < cutoff.timestamp())).rowcount
        counts["login_throttle"] = conn.execute(delete(login_throttle).where(
            login_throttle.c.window_start < now - timedelta(days=1))).rowcount
    purged = {table: n for table, n in counts.items() if n}
    if purged:
        logger.info("retention (%d months): purged %s", retention_months() if months is None else months, purged)
    return purged


async def purge_forever(engine: Engine, every: timedelta = PURGE_EVERY) -> None:
    """The web process's scheduled purge: now, then every `every`."""
    while True:
        try:
            await asyncio.to_thread(purge_expired, engine)
        except Exception:  # noqa: BLE001 - the outermost boundary of a background job
            logger.exception("the retention purge failed; it runs again in %s", every)
        await asyncio.sleep(every.total_seconds())

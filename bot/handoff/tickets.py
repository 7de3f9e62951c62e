"""Tickets: a citizen's question in a department's queue, with everything that happened to it.

Plain Python over the database, used by the bot's action (open), the Zalo gateway (citizen
messages while open, cancel) and the inbox (claim, reply, note, transfer, resolve). Every staff
action writes its audit line in the same transaction.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from bot.db import staff, storable, ticket, ticket_event, utc_now
from bot.handoff.audit import audit
from bot.handoff.departments import Department, Departments, general_queue_of
from bot.handoff.errors import (  # noqa: F401  (TicketError, Forbidden: imported from here by callers)
    ClaimFirst, EmptyNote, EmptyReply, Forbidden, HeldByOther, ReasonRequired, ReplyTooLong, SameDepartment,
    TicketChanged, TicketClosed, TicketError, TicketNotFound, UnknownDepartment, WrongChannel,
)
from bot.handoff.office_hours import when_phrase
from bot.handoff.staff import LEADER, OFFICER, Staff
from bot.handoff.transactions import reading, writing

NEW, IN_PROGRESS, WAITING_CITIZEN, DONE = "new", "in_progress", "waiting_citizen", "done"
STATUS_NAMES = {NEW: "Mới", IN_PROGRESS: "Đang xử lý", WAITING_CITIZEN: "Chờ công dân", DONE: "Đã xong"}
OPEN_STATUSES = (NEW, IN_PROGRESS, WAITING_CITIZEN)
RESOLVED, CANCELLED = "resolved", "cancelled_by_citizen"
# Event kinds: what the conversation view shows and the audit of a ticket's life.
CITIZEN, BOT, OFFICER_REPLY, OFFICER_IN_ZALO, REPLY_FAILED = "citizen", "bot", "officer_reply", "officer_in_zalo", "reply_failed"
ATTACHMENT, NOTE, OPENED, CLAIMED, TRANSFERRED, STATUS, CLOSED = (
    "attachment", "note", "opened", "claimed", "transferred", "status", "closed",
)
DUE_SOON = timedelta(hours=1)
# Each channel caps a message at 2,000 characters; this bounds any other text kept on a ticket.
STORED_TEXT_LIMIT = 4000
CONVERSATION_KINDS = (CITIZEN, BOT, OFFICER_REPLY, OFFICER_IN_ZALO, ATTACHMENT)



@dataclass(frozen=True)
class Ticket:
    id: int
    citizen_id: str
    channel: str
    citizen_name: str | None
    question: str
    department_code: str
    routing_reason: str
    status: str
    due_at: datetime
    holder_id: int | None
    holder_name: str | None
    created_at: datetime
    updated_at: datetime
    last_citizen_at: datetime | None
    closed_at: datetime | None
    closed_reason: str | None

    @property
    def is_open(self) -> bool:
        return self.status != DONE

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, self.status)

    def urgency(self, at: datetime | None = None) -> str:
        """"overdue", "due_soon" or "" for an open ticket."""
        if not self.is_open:
            return ""
        at = at or utc_now()
        if self.due_at <= at:
            return "overdue"
        return "due_soon" if self.due_at - at <= DUE_SOON else ""


@dataclass(frozen=True)
class TicketEvent:
    id: int
    ticket_id: int
    kind: str
    staff_id: int | None
    staff_name: str | None
    text: str
    data: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class Opened:
    ticket: Ticket
    created: bool  # False: the citizen already had an open ticket, the message was added to it
    department: Department
    when: str  # "trong giờ làm việc hôm nay, chậm nhất 15h30" …


@dataclass(frozen=True)
class HistoryLine:
    kind: str  # CITIZEN or BOT
    text: str
    at: datetime | None = None


@dataclass(frozen=True)
class ClaimResult:
    won: bool
    holder_name: str | None


@dataclass
class TicketDesk:
    """Every method that writes takes `conn=`: given, it runs inside that connection's transaction
    (the caller begins and commits: one transaction per citizen turn); omitted, it commits its own.
    A state change is one conditional UPDATE naming the status (and holder) it expects, so an
    action decided on a stale read changes nothing and raises a typed error (bot.handoff.errors)."""

    engine: Engine
    departments: Departments
    clock: Callable[[], datetime] = field(default=utc_now)

    # ---- the conversation core (citizen turns, whatever the channel)
    def open_ticket(self, citizen_id: str, channel: str, question: str, department_code: str, reason: str,
                    citizen_name: str | None = None, history: Sequence[HistoryLine] = (), *,
                    conn: Connection | None = None) -> Opened:
        """Open a ticket, or add the message to the citizen's open one (one open ticket each)."""
        now = self.clock()
        with writing(self.engine, conn) as db:
            departments = self.departments.all(db)
            known = {d.code: d for d in departments}
            department = known.get(department_code) or general_queue_of(departments)
            existing = self.open_for(citizen_id, conn=db)
            created = False
            if existing is None:
                due = department.hours.add_working_time(department.hours.next_opening(now), department.response_time)
                # A concurrent turn of the same citizen may open one first: then ours adds to it.
                inserted = db.execute(_insert_unless_open(db).values(
                    citizen_id=citizen_id, channel=channel, citizen_name=citizen_name,
                    question=storable(question), department_code=department.code, routing_reason=reason,
                    status=NEW, open_citizen=citizen_id, due_at=due, created_at=now, updated_at=now,
                    last_citizen_at=now, assigned_at=now,
                ))
                if inserted.rowcount == 1:
                    ticket_id, created = int(inserted.inserted_primary_key[0]), True
                    for line in history:
                        _add_event(db, ticket_id, line.kind, line.text, at=line.at or now)
                    _add_event(db, ticket_id, OPENED, reason, at=now, data={"department": department.code})
                    _add_event(db, ticket_id, CITIZEN, question, at=now)
                else:
                    existing = self.open_for(citizen_id, conn=db)
                    if existing is None:
                        raise TicketChanged()  # it opened and closed in between: the caller retries
            if existing is not None:
                self.add_citizen_message(existing.id, question, conn=db)
                ticket_id = existing.id
                department = known.get(existing.department_code) or department
            opened = self.get(ticket_id, conn=db)
        return Opened(opened, created, department, when_phrase(department.hours, now, opened.due_at))

    def open_for(self, citizen_id: str, *, conn: Connection | None = None) -> Ticket | None:
        with reading(self.engine, conn) as db:
            row = db.execute(_ticket_query().where(ticket.c.open_citizen == citizen_id)).first()
        return _as_ticket(row) if row else None

    def add_citizen_message(self, ticket_id: int, text: str, kind: str = CITIZEN, data: dict | None = None, *,
                            conn: Connection | None = None) -> None:
        """The citizen wrote while the ticket is open; one waiting for them goes back to the officer.

        Raises TicketClosed when the ticket closed meanwhile (the caller then treats the message
        as a new turn), TicketNotFound for an unknown id."""
        now = self.clock()
        with writing(self.engine, conn) as db:
            changed = db.execute(
                update(ticket).where(and_(ticket.c.id == ticket_id, ticket.c.status != DONE)).values(
                    updated_at=now, last_citizen_at=now,
                    status=case((ticket.c.status == WAITING_CITIZEN, IN_PROGRESS), else_=ticket.c.status))
            ).rowcount
            if not changed:
                raise _why_unchanged(db, ticket_id)
            _add_event(db, ticket_id, kind, text, at=now, data=data)

    def add_bot_message(self, ticket_id: int, text: str, data: dict[str, Any] | None = None, *,
                        conn: Connection | None = None) -> None:
        with writing(self.engine, conn) as db:
            _add_event(db, ticket_id, BOT, text, at=self.clock(), data=data)

    def officer_wrote_in_channel(self, citizen_id: str, text: str, admin_id: str | None, citizen_name: str | None,
                                 channel: str = "zalo", *, conn: Connection | None = None) -> Ticket:
        """An officer answered in the channel's own chat tool (Zalo OA's): the bot steps back until
        the ticket closes. Without an open ticket, one is opened in the general queue."""
        now = self.clock()
        with writing(self.engine, conn) as db:
            current = self.open_for(citizen_id, conn=db)
            if current is None:
                general = self.departments.general_queue(db)
                current = self.open_ticket(
                    citizen_id, channel, "(Cán bộ nhắn trước trong công cụ chat của Zalo OA)", general.code,
                    "Cán bộ đã trả lời trực tiếp trong công cụ chat của Zalo OA", citizen_name, conn=db,
                ).ticket
            changed = db.execute(
                update(ticket).where(and_(ticket.c.id == current.id, ticket.c.status != DONE)).values(
                    updated_at=now, status=case((ticket.c.status == NEW, IN_PROGRESS), else_=ticket.c.status))
            ).rowcount
            if not changed:
                raise _why_unchanged(db, current.id)
            _add_event(db, current.id, OFFICER_IN_ZALO, text, at=now, data={"admin_id": admin_id})
            _first_response(db, current.id, now)
            return self.get(current.id, conn=db)

    officer_wrote_in_zalo = officer_wrote_in_channel  # the old name, until every caller moved

    def cancel_by_citizen(self, ticket_id: int, *, conn: Connection | None = None) -> None:
        self._close(ticket_id, None, CANCELLED, "Công dân báo không cần hỗ trợ nữa", conn)

    # ---- the inbox
    def get(self, ticket_id: int, *, conn: Connection | None = None) -> Ticket:
        with reading(self.engine, conn) as db:
            row = db.execute(_ticket_query().where(ticket.c.id == ticket_id)).first()
        if row is None:
            raise TicketNotFound(ticket_id)
        return _as_ticket(row)

    def queue(self, department_codes: Iterable[str] | None, open_only: bool = True, limit: int = 500) -> list[Ticket]:
        """Tickets ordered by due time (the most urgent first); None: every department."""
        query = _ticket_query().order_by(ticket.c.due_at, ticket.c.id).limit(limit)
        if department_codes is not None:
            query = query.where(ticket.c.department_code.in_(list(department_codes)))
        query = query.where(ticket.c.status != DONE) if open_only else query.where(ticket.c.status == DONE).order_by(None).order_by(ticket.c.closed_at.desc())
        with self.engine.connect() as conn:
            return [_as_ticket(r) for r in conn.execute(query)]

    def queue_version(self, department_codes: Iterable[str] | None) -> str:
        """Changes whenever a ticket of these departments changes: what a polling page compares."""
        query = select(func.count(ticket.c.id), func.max(ticket.c.updated_at)).where(ticket.c.status != DONE)
        if department_codes is not None:
            query = query.where(ticket.c.department_code.in_(list(department_codes)))
        with self.engine.connect() as conn:
            count, latest = conn.execute(query).one()
        return f"{count}:{latest.isoformat() if latest else ''}"

    def events(self, ticket_id: int, after_id: int = 0, before_id: int | None = None,
               last: int | None = None) -> list[TicketEvent]:
        """The ticket's events in order: after `after_id`, before `before_id`, only the `last` n."""
        conditions = [ticket_event.c.ticket_id == ticket_id, ticket_event.c.id > after_id]
        if before_id is not None:
            conditions.append(ticket_event.c.id < before_id)
        query = (
            select(ticket_event, staff.c.display_name.label("staff_name"))
            .outerjoin(staff, staff.c.id == ticket_event.c.staff_id)
            .where(and_(*conditions))
        )
        query = query.order_by(ticket_event.c.id.desc()).limit(last) if last else query.order_by(ticket_event.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            TicketEvent(r.id, r.ticket_id, r.kind, r.staff_id, r.staff_name, r.text, json.loads(r.data or "{}"), r.created_at)
            for r in (reversed(rows) if last else rows)
        ]

    def has_events_before(self, ticket_id: int, event_id: int) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(ticket_event.c.id).where(and_(
                ticket_event.c.ticket_id == ticket_id, ticket_event.c.id < event_id)).limit(1)).first() is not None

    def claim(self, ticket_id: int, by: Staff, *, conn: Connection | None = None) -> ClaimResult:
        """Exactly one of several officers claiming at once wins; the others learn who has it."""
        now = self.clock()
        with writing(self.engine, conn) as db:
            require_claim(by, self.get(ticket_id, conn=db))
            won = db.execute(
                update(ticket)
                .where(and_(ticket.c.id == ticket_id, ticket.c.holder_id.is_(None), ticket.c.status != DONE))
                .values(holder_id=by.id, status=IN_PROGRESS, updated_at=now)
            ).rowcount == 1
            if won:
                _add_event(db, ticket_id, CLAIMED, f"{by.display_name} nhận xử lý", at=now, staff_id=by.id)
                audit(db, by.id, by.username, "ticket.claim", ticket_id)
            holder = self.get(ticket_id, conn=db)
        if not won and not holder.is_open:
            raise TicketClosed(ticket_id)
        return ClaimResult(won or holder.holder_id == by.id, holder.holder_name)

    def check_reply(self, ticket_id: int, by: Staff, text: str, limit: int, channel: str | None = None, *,
                    conn: Connection | None = None) -> tuple[Ticket, str]:
        """Before sending an officer's reply: the ticket and the stripped text, or a typed error
        (empty, too long, another channel, not the holder, closed)."""
        text = text.strip()
        if not text:
            raise EmptyReply()
        if len(text) > limit:
            raise ReplyTooLong(limit, len(text))
        current = self.get(ticket_id, conn=conn)
        require_act(by, current)
        if channel is not None and current.channel != channel:
            raise WrongChannel(current.channel)
        return current, text

    def record_reply(self, ticket_id: int, by: Staff, text: str, delivered: bool, data: dict[str, Any], *,
                     conn: Connection | None = None) -> None:
        """Keep a reply that was sent (or refused by the channel) on the ticket.

        The words already left (or failed to): they are recorded even if the ticket was closed or
        taken over meanwhile, so nothing sent is lost; no status or holder changes here."""
        now = self.clock()
        with writing(self.engine, conn) as db:
            if _lookup(db, ticket_id) is None:
                raise TicketNotFound(ticket_id)
            _add_event(db, ticket_id, OFFICER_REPLY if delivered else REPLY_FAILED, text, at=now, staff_id=by.id, data=data)
            db.execute(update(ticket).where(and_(ticket.c.id == ticket_id, ticket.c.status != DONE)).values(updated_at=now))
            if delivered:
                _first_response(db, ticket_id, now)
            # Who did what, never the words: admins read the audit log but not the tickets.
            audit(db, by.id, by.username, "ticket.reply" if delivered else "ticket.reply_failed", ticket_id,
                  "" if delivered else str(data.get("error", "")))

    def add_note(self, ticket_id: int, by: Staff, text: str, *, conn: Connection | None = None) -> None:
        if not text.strip():
            raise EmptyNote()
        now = self.clock()
        with writing(self.engine, conn) as db:
            require_view(by, self.get(ticket_id, conn=db))
            _add_event(db, ticket_id, NOTE, text.strip(), at=now, staff_id=by.id)
            db.execute(update(ticket).where(ticket.c.id == ticket_id).values(updated_at=now))
            audit(db, by.id, by.username, "ticket.note", ticket_id)

    def transfer(self, ticket_id: int, by: Staff, to_department: str, reason: str, *,
                 conn: Connection | None = None) -> None:
        now = self.clock()
        with writing(self.engine, conn) as db:
            current = self.get(ticket_id, conn=db)
            require_act(by, current)
            target = self.departments.get(to_department, conn=db)
            if target is None:
                raise UnknownDepartment(to_department)
            if target.code == current.department_code:
                raise SameDepartment()
            if not reason.strip():
                raise ReasonRequired()
            due = target.hours.add_working_time(target.hours.next_opening(now), target.response_time)
            _change(db, by, current, values=dict(
                department_code=target.code, holder_id=None, status=NEW, due_at=due, updated_at=now,
                # the receiving department's clock starts now, as its due time does
                assigned_at=now, first_response_at=None))
            _add_event(db, ticket_id, TRANSFERRED, reason.strip(), at=now, staff_id=by.id,
                       data={"from": current.department_code, "to": target.code})
            audit(db, by.id, by.username, "ticket.transfer", ticket_id, f"{current.department_code} → {target.code}")

    def set_waiting(self, ticket_id: int, by: Staff, *, conn: Connection | None = None) -> None:
        now = self.clock()
        with writing(self.engine, conn) as db:
            current = self.get(ticket_id, conn=db)
            require_act(by, current)
            _change(db, by, current, values=dict(status=WAITING_CITIZEN, updated_at=now))
            _add_event(db, ticket_id, STATUS, STATUS_NAMES[WAITING_CITIZEN], at=now, staff_id=by.id)
            audit(db, by.id, by.username, "ticket.waiting", ticket_id)

    def resolve(self, ticket_id: int, by: Staff, *, conn: Connection | None = None) -> None:
        with writing(self.engine, conn) as db:
            require_act(by, self.get(ticket_id, conn=db))
            self._close(ticket_id, by, RESOLVED, "Đã xong", db)

    def _close(self, ticket_id: int, by: Staff | None, reason: str, text: str, conn: Connection | None) -> None:
        now = self.clock()
        expected = [ticket.c.id == ticket_id, ticket.c.status != DONE]
        if by is not None:
            expected.append(ticket.c.holder_id == by.id)  # an officer closes only what they still hold
        with writing(self.engine, conn) as db:
            closed = db.execute(
                update(ticket).where(and_(*expected))
                .values(status=DONE, open_citizen=None, closed_at=now, closed_reason=reason, updated_at=now)
            ).rowcount
            if not closed:
                raise _why_unchanged(db, ticket_id)
            _add_event(db, ticket_id, CLOSED, text, at=now, staff_id=by.id if by else None, data={"reason": reason})
            audit(db, by.id if by else None, by.username if by else "citizen", f"ticket.{reason}", ticket_id)


# ---- who may do what (checked by the desk itself, so no route can forget it)
def can_view(member: Staff, current: Ticket) -> bool:
    if member.role == LEADER:
        return True
    return member.role == OFFICER and member.department_code == current.department_code


def require_view(member: Staff, current: Ticket) -> None:
    if not can_view(member, current):
        raise Forbidden("other_department")


def require_claim(member: Staff, current: Ticket) -> None:
    require_view(member, current)
    if not current.is_open:
        raise TicketClosed(current.id)


def require_act(member: Staff, current: Ticket) -> None:
    """Reply, transfer, resolve: the holder only (leaders read until they claim)."""
    require_view(member, current)
    if not current.is_open:
        raise TicketClosed(current.id)
    if current.holder_id != member.id:
        if current.holder_id is None:
            raise ClaimFirst()
        raise HeldByOther(current.holder_name)


def visible_departments(member: Staff) -> list[str] | None:
    """None: every department (leaders); [] for roles that see no ticket."""
    if member.role == LEADER:
        return None
    if member.role == OFFICER and member.department_code:
        return [member.department_code]
    return []


def _ticket_query():
    return select(ticket, staff.c.display_name.label("holder_name")).outerjoin(staff, staff.c.id == ticket.c.holder_id)


def _as_ticket(row: Any) -> Ticket:
    return Ticket(
        row.id, row.citizen_id, row.channel, row.citizen_name, row.question, row.department_code, row.routing_reason,
        row.status, row.due_at, row.holder_id, row.holder_name, row.created_at, row.updated_at,
        row.last_citizen_at, row.closed_at, row.closed_reason,
    )


def _lookup(conn: Connection, ticket_id: int) -> Any:
    return conn.execute(_ticket_query().where(ticket.c.id == ticket_id)).first()


def _why_unchanged(conn: Connection, ticket_id: int) -> TicketError:
    """The typed error for a guarded UPDATE that matched no row, read after the fact: gone,
    closed, or changed by someone else since the action's read (a transfer, another claim)."""
    row = _lookup(conn, ticket_id)
    if row is None:
        return TicketNotFound(ticket_id)
    if row.status == DONE:
        return TicketClosed(ticket_id)
    return TicketChanged(ticket_id)


def _change(conn: Connection, by: Staff, expected: Ticket, values: dict[str, Any]) -> None:
    """One UPDATE of a ticket as `by` saw it: still open, in the same department, held by `by`."""
    changed = conn.execute(update(ticket).where(and_(
        ticket.c.id == expected.id, ticket.c.status != DONE, ticket.c.holder_id == by.id,
        ticket.c.department_code == expected.department_code,
    )).values(**values)).rowcount
    if not changed:
        raise _why_unchanged(conn, expected.id)


def _insert_unless_open(conn: Connection):
    """INSERT of a ticket that does nothing when the citizen already has an open one."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(ticket).on_conflict_do_nothing(index_elements=[ticket.c.open_citizen])


def _first_response(conn: Connection, ticket_id: int, at: datetime) -> None:
    """The department's first reply, kept once (the report's first-response time)."""
    conn.execute(update(ticket).where(and_(ticket.c.id == ticket_id, ticket.c.first_response_at.is_(None)))
                 .values(first_response_at=at))


def _add_event(conn: Connection, ticket_id: int, kind: str, text: str, at: datetime,
               staff_id: int | None = None, data: dict[str, Any] | None = None) -> None:
    conn.execute(insert(ticket_event).values(
        ticket_id=ticket_id, kind=kind, staff_id=staff_id, text=storable(text)[:STORED_TEXT_LIMIT],
        data=json.dumps(data or {}, ensure_ascii=False), created_at=at,
    ))

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

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.db import staff, storable, ticket, ticket_event, utc_now
from bot.handoff.audit import audit
from bot.handoff.departments import Department, Departments
from bot.handoff.office_hours import when_phrase
from bot.handoff.staff import LEADER, OFFICER, Staff

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


class TicketError(Exception):
    """An action that cannot be done on this ticket now, in Vietnamese."""


class Forbidden(TicketError):
    """The staff member may not do this on this ticket."""


@dataclass
class TicketDesk:
    engine: Engine
    departments: Departments
    clock: Callable[[], datetime] = field(default=utc_now)

    # ---- the bot and the gateway
    def open_ticket(self, citizen_id: str, channel: str, question: str, department_code: str, reason: str,
                    citizen_name: str | None = None, history: Sequence[HistoryLine] = ()) -> Opened:
        """Open a ticket, or add the message to the citizen's open one (one open ticket each)."""
        now = self.clock()
        departments = self.departments.by_code()
        department = departments.get(department_code) or self.departments.general_queue()
        existing = self.open_for(citizen_id)
        if existing is None:
            due = department.hours.add_working_time(department.hours.next_opening(now), department.response_time)
            try:
                with self.engine.begin() as conn:
                    ticket_id = int(conn.execute(insert(ticket).values(
                        citizen_id=citizen_id, channel=channel, citizen_name=citizen_name,
                        question=storable(question), department_code=department.code, routing_reason=reason,
                        status=NEW, open_citizen=citizen_id, due_at=due, created_at=now, updated_at=now,
                        last_citizen_at=now, assigned_at=now,
                    )).inserted_primary_key[0])
                    for line in history:
                        _add_event(conn, ticket_id, line.kind, line.text, at=line.at or now)
                    _add_event(conn, ticket_id, OPENED, reason, at=now, data={"department": department.code})
                    _add_event(conn, ticket_id, CITIZEN, question, at=now)
                created = True
            except IntegrityError:  # a concurrent turn of the same citizen opened one first
                existing = self.open_for(citizen_id)
                if existing is None:
                    raise
        if existing is not None:
            self.add_citizen_message(existing.id, question)
            ticket_id, created = existing.id, False
            department = departments.get(existing.department_code) or department
        opened = self.get(ticket_id)
        return Opened(opened, created, department, when_phrase(department.hours, now, opened.due_at))

    def open_for(self, citizen_id: str) -> Ticket | None:
        with self.engine.connect() as conn:
            row = conn.execute(_ticket_query().where(ticket.c.open_citizen == citizen_id)).first()
        return _as_ticket(row) if row else None

    def add_citizen_message(self, ticket_id: int, text: str, kind: str = CITIZEN, data: dict | None = None) -> None:
        now = self.clock()
        with self.engine.begin() as conn:
            _add_event(conn, ticket_id, kind, text, at=now, data=data)
            values: dict[str, Any] = {"updated_at": now, "last_citizen_at": now}
            current = conn.execute(select(ticket.c.status).where(ticket.c.id == ticket_id)).scalar_one()
            if current == WAITING_CITIZEN:
                values["status"] = IN_PROGRESS
            conn.execute(update(ticket).where(ticket.c.id == ticket_id).values(**values))

    def add_bot_message(self, ticket_id: int, text: str) -> None:
        with self.engine.begin() as conn:
            _add_event(conn, ticket_id, BOT, text, at=self.clock())

    def officer_wrote_in_zalo(self, citizen_id: str, text: str, admin_id: str | None, citizen_name: str | None) -> Ticket:
        """An officer answered in Zalo's own OA chat tool: the bot steps back until the ticket closes."""
        current = self.open_for(citizen_id)
        if current is None:
            general = self.departments.general_queue()
            current = self.open_ticket(
                citizen_id, "zalo", "(Cán bộ nhắn trước trong công cụ chat của Zalo OA)", general.code,
                "Cán bộ đã trả lời trực tiếp trong công cụ chat của Zalo OA", citizen_name,
            ).ticket
        with self.engine.begin() as conn:
            _add_event(conn, current.id, OFFICER_IN_ZALO, text, at=self.clock(), data={"admin_id": admin_id})
            conn.execute(update(ticket).where(ticket.c.id == current.id).values(
                updated_at=self.clock(), status=IN_PROGRESS if current.status == NEW else current.status))
            _first_response(conn, current.id, self.clock())
        return self.get(current.id)

    def cancel_by_citizen(self, ticket_id: int) -> None:
        self._close(ticket_id, None, CANCELLED, "Công dân báo không cần hỗ trợ nữa")

    # ---- the inbox
    def get(self, ticket_id: int) -> Ticket:
        with self.engine.connect() as conn:
            row = conn.execute(_ticket_query().where(ticket.c.id == ticket_id)).first()
        if row is None:
            raise TicketError("không có yêu cầu này")
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

    def claim(self, ticket_id: int, by: Staff) -> ClaimResult:
        """Exactly one of several officers claiming at once wins; the others learn who has it."""
        current = self.get(ticket_id)
        require_claim(by, current)
        now = self.clock()
        with self.engine.begin() as conn:
            won = conn.execute(
                update(ticket)
                .where(and_(ticket.c.id == ticket_id, ticket.c.holder_id.is_(None), ticket.c.status != DONE))
                .values(holder_id=by.id, status=IN_PROGRESS, updated_at=now)
            ).rowcount == 1
            if won:
                _add_event(conn, ticket_id, CLAIMED, f"{by.display_name} nhận xử lý", at=now, staff_id=by.id)
                audit(conn, by.id, by.username, "ticket.claim", ticket_id)
        holder = self.get(ticket_id)
        return ClaimResult(won or holder.holder_id == by.id, holder.holder_name)

    def record_reply(self, ticket_id: int, by: Staff, text: str, delivered: bool, data: dict[str, Any]) -> None:
        now = self.clock()
        with self.engine.begin() as conn:
            _add_event(conn, ticket_id, OFFICER_REPLY if delivered else REPLY_FAILED, text, at=now, staff_id=by.id, data=data)
            conn.execute(update(ticket).where(ticket.c.id == ticket_id).values(updated_at=now))
            if delivered:
                _first_response(conn, ticket_id, now)
            # Who did what, never the words: admins read the audit log but not the tickets.
            audit(conn, by.id, by.username, "ticket.reply" if delivered else "ticket.reply_failed", ticket_id,
                  "" if delivered else str(data.get("error", "")))

    def add_note(self, ticket_id: int, by: Staff, text: str) -> None:
        if not text.strip():
            raise TicketError("ghi chú trống")
        require_view(by, self.get(ticket_id))
        now = self.clock()
        with self.engine.begin() as conn:
            _add_event(conn, ticket_id, NOTE, text.strip(), at=now, staff_id=by.id)
            conn.execute(update(ticket).where(ticket.c.id == ticket_id).values(updated_at=now))
            audit(conn, by.id, by.username, "ticket.note", ticket_id)

    def transfer(self, ticket_id: int, by: Staff, to_department: str, reason: str) -> None:
        current = self.get(ticket_id)
        require_act(by, current)
        target = self.departments.get(to_department)
        if target is None:
            raise TicketError("bộ phận nhận không tồn tại")
        if target.code == current.department_code:
            raise TicketError("yêu cầu đã ở bộ phận này")
        if not reason.strip():
            raise TicketError("cần ghi lý do chuyển")
        now = self.clock()
        due = target.hours.add_working_time(target.hours.next_opening(now), target.response_time)
        with self.engine.begin() as conn:
            conn.execute(update(ticket).where(ticket.c.id == ticket_id).values(
                department_code=target.code, holder_id=None, status=NEW, due_at=due, updated_at=now,
                # the receiving department's clock starts now, as its due time does
                assigned_at=now, first_response_at=None))
            _add_event(conn, ticket_id, TRANSFERRED, reason.strip(), at=now, staff_id=by.id,
                       data={"from": current.department_code, "to": target.code})
            audit(conn, by.id, by.username, "ticket.transfer", ticket_id, f"{current.department_code} → {target.code}")

    def set_waiting(self, ticket_id: int, by: Staff) -> None:
        current = self.get(ticket_id)
        require_act(by, current)
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(update(ticket).where(ticket.c.id == ticket_id).values(status=WAITING_CITIZEN, updated_at=now))
            _add_event(conn, ticket_id, STATUS, STATUS_NAMES[WAITING_CITIZEN], at=now, staff_id=by.id)
            audit(conn, by.id, by.username, "ticket.waiting", ticket_id)

    def resolve(self, ticket_id: int, by: Staff) -> None:
        require_act(by, self.get(ticket_id))
        self._close(ticket_id, by, RESOLVED, "Đã xong")

    def _close(self, ticket_id: int, by: Staff | None, reason: str, text: str) -> None:
        now = self.clock()
        with self.engine.begin() as conn:
            closed = conn.execute(
                update(ticket).where(and_(ticket.c.id == ticket_id, ticket.c.status != DONE))
                .values(status=DONE, open_citizen=None, closed_at=now, closed_reason=reason, updated_at=now)
            ).rowcount
            if not closed:
                raise TicketError("yêu cầu đã đóng")
            _add_event(conn, ticket_id, CLOSED, text, at=now, staff_id=by.id if by else None, data={"reason": reason})
            audit(conn, by.id if by else None, by.username if by else "citizen", f"ticket.{reason}", ticket_id)


# ---- who may do what (checked by the desk itself, so no route can forget it)
def can_view(member: Staff, current: Ticket) -> bool:
    if member.role == LEADER:
        return True
    return member.role == OFFICER and member.department_code == current.department_code


def require_view(member: Staff, current: Ticket) -> None:
    if not can_view(member, current):
        raise Forbidden("yêu cầu này thuộc bộ phận khác")


def require_claim(member: Staff, current: Ticket) -> None:
    require_view(member, current)
    if not current.is_open:
        raise TicketError("yêu cầu đã đóng")


def require_act(member: Staff, current: Ticket) -> None:
    """Reply, transfer, resolve: the holder only (leaders read until they claim)."""
    require_view(member, current)
    if not current.is_open:
        raise TicketError("yêu cầu đã đóng")
    if current.holder_id != member.id:
        if current.holder_id is None:
            raise TicketError("hãy bấm “Nhận xử lý” trước")
        raise TicketError(f"{current.holder_name} đang xử lý yêu cầu này")


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

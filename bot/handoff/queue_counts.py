"""What the inbox's queue page counts, and how long each open request has waited for the office.

The counts are one GROUP BY over the tickets the viewer may see, under the same conditions as
the lists they sit beside (open: not done; done: closed within DONE_WINDOW), so "Tất cả", the
per-department figures, the tabs and the rows cannot tell different stories.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Engine

from bot.db import ticket, ticket_event
from bot.handoff.office_hours import VIETNAM
from bot.handoff.tickets import ATTACHMENT, CITIZEN, DONE, OFFICER_IN_ZALO, OFFICER_REPLY, WAITING_CITIZEN

# The "Đã xong" tab lists and counts the requests closed in this many days.
DONE_WINDOW = timedelta(days=30)
CITIZEN_KINDS = (CITIZEN, ATTACHMENT)
ANSWER_KINDS = (OFFICER_REPLY, OFFICER_IN_ZALO)  # a failed send is `reply_failed`: not an answer


@dataclass(frozen=True)
class DepartmentCount:
    open: int = 0  # not done
    overdue: int = 0  # open, past the promised answer time
    done: int = 0  # closed within DONE_WINDOW

    def __add__(self, other: DepartmentCount) -> DepartmentCount:
        return DepartmentCount(self.open + other.open, self.overdue + other.overdue, self.done + other.done)


@dataclass(frozen=True)
class QueueCounts:
    by_department: dict[str, DepartmentCount]

    def of(self, codes: Iterable[str] | None) -> DepartmentCount:
        """The sum over `codes` (None: every department counted)."""
        chosen = self.by_department.values() if codes is None else (self.by_department.get(c) for c in codes)
        return sum((c for c in chosen if c is not None), DepartmentCount())


def queue_counts(engine: Engine, codes: Iterable[str] | None, now: datetime | None = None) -> QueueCounts:
    """Open, overdue and recently done tickets per department among `codes` (None: all)."""
    now = now or datetime.now(timezone.utc)
    is_open = ticket.c.status != DONE
    query = (
        select(ticket.c.department_code,
               func.sum(case((is_open, 1), else_=0)),
               func.sum(case((and_(is_open, ticket.c.due_at <= now), 1), else_=0)),
               func.sum(case((and_(ticket.c.status == DONE, ticket.c.closed_at >= now - DONE_WINDOW), 1), else_=0)))
        .group_by(ticket.c.department_code)
        # Only what either list may show: every open ticket, and the recently done.
        .where((is_open) | (ticket.c.closed_at >= now - DONE_WINDOW))
    )
    if codes is not None:
        query = query.where(ticket.c.department_code.in_(list(codes)))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return QueueCounts({code: DepartmentCount(int(o or 0), int(late or 0), int(done or 0))
                        for code, o, late, done in rows})


def waiting_since(engine: Engine, ticket_ids: Iterable[int]) -> dict[int, datetime | None]:
    """Since when each open ticket has waited for the office, or None when the office has answered
    the citizen's last message (or set the ticket to wait for the citizen).

    Before any answer: since the ticket was opened. After one: since the citizen's first message
    that came after the office's latest answer, the oldest one still unanswered.
    """
    ids = list(ticket_ids)
    if not ids:
        return {}
    answered = (select(ticket_event.c.ticket_id, func.max(ticket_event.c.created_at).label("at"))
                .where(ticket_event.c.ticket_id.in_(ids), ticket_event.c.kind.in_(ANSWER_KINDS))
                .group_by(ticket_event.c.ticket_id).subquery())
    later = ticket_event.alias("later")
    first_unanswered = (select(func.min(later.c.created_at))
                        .where(later.c.ticket_id == ticket.c.id, later.c.kind.in_(CITIZEN_KINDS),
                               later.c.created_at > answered.c.at)
                        .scalar_subquery())
    query = (select(ticket.c.id, ticket.c.status, ticket.c.created_at, answered.c.at, first_unanswered)
             .outerjoin(answered, answered.c.ticket_id == ticket.c.id)
             .where(ticket.c.id.in_(ids)))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    since: dict[int, datetime | None] = {}
    for ticket_id, status, created_at, answered_at, unanswered_at in rows:
        if status in (DONE, WAITING_CITIZEN):
            since[ticket_id] = None
        else:
            since[ticket_id] = created_at if answered_at is None else unanswered_at
    return since


def waited_phrase(since: datetime, now: datetime | None = None) -> str:
    """How long ago, in an officer's words: "35 phút", "2 giờ", "hôm qua 16:40", "12/07 09:10"."""
    now = now or datetime.now(timezone.utc)
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    waited = now - since
    local, today = since.astimezone(VIETNAM), now.astimezone(VIETNAM).date()
    if waited < timedelta(minutes=1):
        return "vừa xong"
    if waited < timedelta(hours=1):
        return f"{int(waited.total_seconds() // 60)} phút"
    if local.date() == today or waited < timedelta(hours=6):
        return f"{int(waited.total_seconds() // 3600)} giờ"
    if local.date() == today - timedelta(days=1):
        return f"hôm qua {local:%H:%M}"
    return f"{local:%d/%m %H:%M} ({(today - local.date()).days} ngày)"

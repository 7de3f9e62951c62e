"""The officers' inbox: queues, ticket pages, the actions on a ticket, and the polling API.

Thin adapters over bot/handoff: the desk decides who may see or do what (Forbidden -> 403);
these routes only pick which departments a page asks for and turn outcomes into pages.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.concurrency import run_in_threadpool

from bot.faq.knowledge_base import load_knowledge_base
from bot.handoff.departments import Department, Departments
from bot.handoff.queue_counts import DONE_WINDOW, DepartmentCount, queue_counts, waiting_since
from bot.core.ports import Outboxes
from bot.handoff.replying import load_signatures, reply_window, resolve_and_tell, send_officer_reply, text_limit
from bot.handoff.staff import EDITOR, LEADER, OFFICER, Session, Staff
from bot.handoff.errors import Forbidden, TicketError, TicketNotFound
from bot.handoff.tickets import Ticket, TicketDesk, can_view, require_view, visible_departments
from bot.web import error_messages, services, views
from bot.web.auth import check_csrf, current_staff, require_role
from bot.replies import Replies, load_templates
from bot.web.pages import PageError, PageRoute, sentence, redirect, render, render_fragment

router = APIRouter(prefix="/inbox", route_class=PageRoute, tags=["inbox"])
# A conversation shows its latest events; older ones a page at a time ("?truoc=<event id>"): a
# ticket with thousands of messages made a page browsers gave up on.
CONVERSATION_PAGE = 100
NO_GATEWAY = "Kênh Zalo chưa được bật trên máy chủ này (ZALO_GATEWAY=off), nên chưa gửi được tin cho công dân."


@dataclass(frozen=True)
class Inbox:
    """One request's view of the inbox: who is asking, and the services to answer with."""
    member: Staff
    desk: TicketDesk
    units: Departments
    outboxes: Outboxes  # by channel; empty while the Zalo channel is off (ZALO_GATEWAY=off)


def inbox(member: Staff = Depends(require_role(OFFICER, LEADER)), desk: TicketDesk = Depends(services.ticket_desk),
          units: Departments = Depends(services.departments),
          outboxes: Outboxes = Depends(services.outboxes)) -> Inbox:
    return Inbox(member, desk, units, outboxes)


def _codes(member: Staff, department: str, known: dict[str, Department]) -> list[str] | None:
    """The departments a queue shows: the visible ones, or the one asked for if visible."""
    visible = visible_departments(member)
    if not department:
        return visible
    if department not in known:
        raise PageError(404, "Không có bộ phận này.")
    if visible is not None and department not in visible:
        raise PageError(403, "Bạn chỉ xem được hàng đợi của bộ phận mình.")
    return [department]


def _viewable(box: Inbox, ticket_id: int) -> Ticket:
    try:
        current = box.desk.get(ticket_id)
    except TicketNotFound as exc:
        raise PageError(404, error_messages.message(exc)) from None
    require_view(box.member, current)
    return current


# ---- queue
OPEN_LIMIT, DONE_LIMIT = 500, 200  # rows a list shows; the counts count them all


@dataclass(frozen=True)
class QueueView:
    """One queue list with its counts, read together so that they agree (page and polling API)."""
    rows: list[views.QueueRow]
    selected: DepartmentCount  # the departments the list shows
    everything: DepartmentCount  # every department this person sees ("Tất cả")
    chips: list[views.DepartmentChip]  # per department, for those who see several
    version: str
    done: bool
    department: str
    show_department: bool
    limit: int


def _queue_view(member: Staff, desk: TicketDesk, units: Departments, department: str, done: bool) -> QueueView:
    departments = units.all()
    known = {d.code: d for d in departments}
    codes = _codes(member, department, known)
    visible = visible_departments(member)
    # Read first, over everything this person sees, so that a change to any chip's department
    # (not only the filtered one) shows on the next poll.
    version = desk.queue_version(visible)
    now = datetime.now(timezone.utc)
    if done:
        since = now - DONE_WINDOW
        tickets = [t for t in desk.queue(codes, open_only=False, limit=DONE_LIMIT) if t.closed_at and t.closed_at >= since]
        waits: dict[int, datetime | None] = {}
    else:
        tickets = desk.queue(codes, limit=OPEN_LIMIT)
        waits = waiting_since(desk.engine, [t.id for t in tickets])
    counts = queue_counts(desk.engine, visible, now)
    several = visible is None or len(visible) > 1
    return QueueView(
        rows=views.queue_rows(tickets, known, member, waits), selected=counts.of(codes), everything=counts.of(visible),
        chips=views.department_chips(counts, departments) if several else [], version=version, done=done,
        department=department, show_department=codes is None or len(codes) > 1,
        limit=DONE_LIMIT if done else OPEN_LIMIT,
    )


@router.get("/")
def queue_page(request: Request, department: str = "", xem: str = "", member: Staff = Depends(current_staff),
               desk: TicketDesk = Depends(services.ticket_desk), units: Departments = Depends(services.departments)) -> Response:
    if not member.has_role(OFFICER, LEADER):
        if member.has_role(EDITOR):
            return redirect("/bien-tap/")  # editors curate the knowledge base
        raise PageError(403, "Tài khoản này không xem được hộp thư.")
    view = _queue_view(member, desk, units, department, xem == "xong")
    return render(request, "queue.html", {
        "view": view, "rows": view.rows, "done": view.done, "department": department, "departments": units.all(),
        "show_department": view.show_department, "own_department": units.get(member.department_code or ""),
        "done_days": DONE_WINDOW.days,
    })


@router.get("/api/queue")
def queue_api(version: str = "", department: str = "", xem: str = "", box: Inbox = Depends(inbox)) -> dict[str, Any]:
    if version and version == box.desk.queue_version(visible_departments(box.member)):
        return {"changed": False, "version": version}
    view = _queue_view(box.member, box.desk, box.units, department, xem == "xong")
    context = {"view": view, "rows": view.rows, "done": view.done, "show_department": view.show_department,
               "department": department, "done_days": DONE_WINDOW.days}
    return {"changed": True, "version": view.version, "count": view.selected.done if view.done else view.selected.open,
            "overdue": view.selected.overdue, "shown": len(view.rows),
            "rows": [r.as_json() for r in view.rows], "html": render_fragment("_queue_rows.html", **context),
            "summary_html": render_fragment("_queue_summary.html", **context)}


# ---- ticket page
def _ticket_page(request: Request, box: Inbox, ticket_id: int, error: str = "", draft: str = "", status: int = 200,
                 before: int | None = None) -> Response:
    current = _viewable(box, ticket_id)
    departments = box.units.all()
    known = {d.code: d for d in departments}
    department = known.get(current.department_code)
    window = reply_window(current, box.outboxes)
    events = box.desk.events(ticket_id, before_id=before, last=CONVERSATION_PAGE)
    older = events[0].id if events and box.desk.has_events_before(ticket_id, events[0].id) else None
    unit = load_knowledge_base().unit
    canned = [(c.title, views.fill_canned(c.text, department, unit)) for c in department.canned_replies] if department else []
    name = department.name if department else current.department_code
    signatures = load_signatures()
    signature = signatures.sign(box.member.display_name, name)
    signature_department = signatures.sign(box.member.display_name, name, department_only=True)
    limit = text_limit(box.outboxes, current.channel)
    return render(request, "ticket.html", {
        "ticket": current, "department": department, "departments": departments, "names": known,
        "events": events, "last_id": events[-1].id if events else 0, "older": older, "paged": before is not None,
        "window": window, "panel": views.window_panel(window, current.last_citizen_at),
        "urgency": current.urgency(), "canned": canned, "draft": draft, "error": error,
        "holder_is_me": current.holder_id == box.member.id, "reply_blocked": _reply_blocked(box, current, window.can_send),
        # the signature goes under the reply and counts in the channel's limit: the box allows the rest
        "text_limit": limit - 2 - max(len(signature), len(signature_department)), "channel_limit": limit,
        "signature": signature, "signature_department": signature_department,
        "state": views.ticket_state(current, window.state),
    }, status=status)


def _reply_blocked(box: Inbox, current: Ticket, window_open: bool) -> str:
    """Why the reply box is disabled, or "" (the desk checks again when the reply is sent)."""
    if not current.is_open:
        return "Yêu cầu đã đóng."
    if current.holder_id is None:
        return "Bấm “Nhận xử lý” để trả lời công dân."
    if current.holder_id != box.member.id:
        return f"{current.holder_name} đang xử lý yêu cầu này; chỉ người xử lý mới trả lời được."
    if current.channel != "zalo":
        return f"Công dân hỏi qua kênh “{current.channel}”, không gửi được tin Zalo; hãy liên hệ bằng cách khác."
    if not box.outboxes:
        return NO_GATEWAY
    if not window_open:
        return "Đã quá 7 ngày kể từ tin nhắn cuối của công dân nên Zalo không cho gửi. Hãy gọi điện hoặc chờ công dân nhắn lại."
    return ""


@router.get("/tickets/{ticket_id}")
def ticket_page(request: Request, ticket_id: int, truoc: int | None = None, box: Inbox = Depends(inbox)) -> Response:
    return _ticket_page(request, box, ticket_id, before=truoc)


@router.get("/api/tickets/{ticket_id}/events")
def events_api(ticket_id: int, after: int = 0, box: Inbox = Depends(inbox)) -> dict[str, Any]:
    current = _viewable(box, ticket_id)
    events = box.desk.events(ticket_id, after_id=after, last=CONVERSATION_PAGE)
    window = reply_window(current, box.outboxes)
    html = render_fragment("_events.html", events=events, names=box.units.by_code()) if events else ""
    return {"events": [views.event_json(e) for e in events], "html": html,
            "last_id": events[-1].id if events else after, "ticket": views.ticket_state(current, window.state)}


# ---- actions (every one: logged in, CSRF checked, allowed by the desk)
def _attempt(request: Request, box: Inbox, ticket_id: int, action: Callable[[], Any], done: Callable[[], str],
             draft: str = "") -> Response:
    _viewable(box, ticket_id)
    try:
        action()
    except Forbidden:
        raise
    except TicketError as exc:
        return _ticket_page(request, box, ticket_id, error=error_messages.message(exc), draft=draft, status=409)
    return redirect(done())


@router.post("/tickets/{ticket_id}/claim")
def claim(request: Request, ticket_id: int, _: Session = Depends(check_csrf), box: Inbox = Depends(inbox)) -> Response:
    _viewable(box, ticket_id)
    try:
        result = box.desk.claim(ticket_id, box.member)
    except Forbidden:
        raise
    except TicketError as exc:
        return _ticket_page(request, box, ticket_id, error=error_messages.message(exc), status=409)
    if not result.won:
        who = result.holder_name or "Một cán bộ khác"
        return _ticket_page(request, box, ticket_id, error=f"{who} đã nhận xử lý yêu cầu này trước bạn.", status=409)
    return redirect(f"/inbox/tickets/{ticket_id}?ok=claimed")


@router.post("/tickets/{ticket_id}/reply")
async def reply(request: Request, ticket_id: int, text: str = Form(""), chi_bo_phan: str = Form(""),
                _: Session = Depends(check_csrf), box: Inbox = Depends(inbox)) -> Response:
    await run_in_threadpool(_viewable, box, ticket_id)
    if not box.outboxes:
        return await run_in_threadpool(_ticket_page, request, box, ticket_id, NO_GATEWAY, text, 503)
    try:
        outcome = await send_officer_reply(box.desk, box.outboxes, ticket_id, box.member, text,
                                           department_only=bool(chi_bo_phan))
    except Forbidden:
        raise
    except TicketError as exc:
        return await run_in_threadpool(_ticket_page, request, box, ticket_id, error_messages.message(exc), text, 409)
    if outcome.delivered:
        return redirect(f"/inbox/tickets/{ticket_id}?ok=sent#cuoi")
    # Recorded on the ticket as a failed reply; the text stays in the box to send another way.
    return await run_in_threadpool(_ticket_page, request, box, ticket_id, outcome.message, text, 200)


@router.post("/tickets/{ticket_id}/note")
def note(request: Request, ticket_id: int, text: str = Form(""), _: Session = Depends(check_csrf),
         box: Inbox = Depends(inbox)) -> Response:
    return _attempt(request, box, ticket_id, lambda: box.desk.add_note(ticket_id, box.member, text),
                    lambda: f"/inbox/tickets/{ticket_id}?ok=noted#cuoi")


@router.post("/tickets/{ticket_id}/transfer")
def transfer(request: Request, ticket_id: int, to_department: str = Form(""), reason: str = Form(""),
             _: Session = Depends(check_csrf), box: Inbox = Depends(inbox)) -> Response:
    def where_next() -> str:
        if can_view(box.member, box.desk.get(ticket_id)):
            return f"/inbox/tickets/{ticket_id}?ok=transferred&so={ticket_id}"
        return f"/inbox/?ok=transferred&so={ticket_id}"  # out of this officer's sight now

    return _attempt(request, box, ticket_id, lambda: box.desk.transfer(ticket_id, box.member, to_department, reason), where_next)


@router.post("/tickets/{ticket_id}/waiting")
def waiting(request: Request, ticket_id: int, _: Session = Depends(check_csrf), box: Inbox = Depends(inbox)) -> Response:
    return _attempt(request, box, ticket_id, lambda: box.desk.set_waiting(ticket_id, box.member),
                    lambda: f"/inbox/tickets/{ticket_id}?ok=waiting")


@router.post("/tickets/{ticket_id}/resolve")
async def resolve(request: Request, ticket_id: int, _: Session = Depends(check_csrf), box: Inbox = Depends(inbox)) -> Response:
    """Close the request; the citizen is told through their channel's outbox and asked their rating."""
    await run_in_threadpool(_viewable, box, ticket_id)
    replies = Replies(load_templates(), load_knowledge_base().unit)
    try:
        outcome = await resolve_and_tell(box.desk, box.outboxes, replies, ticket_id, box.member)
    except Forbidden:
        raise
    except TicketError as exc:
        return await run_in_threadpool(_ticket_page, request, box, ticket_id, error_messages.message(exc), "", 409)
    told = "resolved" if outcome.delivered else "resolved_untold"
    return redirect(f"/inbox/?ok={told}&so={ticket_id}")
"""An officer's reply from the inbox, sent to the citizen through their channel's outbox.

The channel sets the rules (Zalo: 7 days after the citizen's last message, 8 free replies in
48 hours; connectors/zalo/window.py): the inbox shows its window and warns before it closes; a
refusal is kept on the ticket, never lost. The channel is reached through the core's port
(`bot.core.ports.CitizenOutbox`), so nothing here knows a transport.

A reply is signed as the office configures (data/unit.yml `signature`: "Cán bộ Lê Thị Hoa – Bộ
phận Một cửa", or the department alone when the officer chooses), so the citizen knows a person
speaks; the signature counts in the channel's limit. Resolving a request tells the citizen so in
one message that asks their rating (bot/core/satisfaction.py).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot import paths
from bot.core import satisfaction
from bot.core.ports import CLOSED, CLOSING, NO_WINDOW, OPEN, CitizenOutbox, Outboxes, ReplyWindow, send_reply
from bot.handoff.staff import Staff
from bot.handoff.tickets import Ticket, TicketDesk, TicketError, require_act
from bot.replies import Replies

__all__ = ["CLOSED", "CLOSING", "OPEN", "ReplyWindow", "ReplyOutcome", "reply_window", "send_officer_reply", "text_limit",
           "Signatures", "resolve_and_tell"]
DEFAULT_TEXT_LIMIT = 2000
DEFAULT_SIGNATURES = {"officer": "Cán bộ {officer} – {department}", "department": "{department} – {unit_short}"}


@dataclass(frozen=True)
class Signatures:
    """How replies are signed: `officer` names the person, `department` only the department.
    Placeholders: {officer} (display name), {department} (the request's department) and the unit
    profile's values ({unit_short}, {unit_name} …)."""

    officer: str
    department: str
    unit: dict[str, str]

    def sign(self, officer: str, department: str, department_only: bool = False) -> str:
        template = self.department if department_only else self.officer
        return template.format_map({**self.unit, "officer": officer, "department": department}).strip()


@lru_cache(maxsize=2)
def load_signatures(path: Path = paths.UNIT_FILE) -> Signatures:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    configured = {**DEFAULT_SIGNATURES, **{k: str(v) for k, v in (data.get("signature") or {}).items() if v}}
    unit = {str(k): str(v) for k, v in (data.get("profile") or {}).items()}
    return Signatures(configured["officer"], configured["department"], unit)


def signed(text: str, signature: str) -> str:
    return f"{text}\n\n{signature}" if signature else text


@dataclass(frozen=True)
class ReplyOutcome:
    delivered: bool
    message: str  # what the officer is told, in Vietnamese


def reply_window(current: Ticket, outboxes: Outboxes) -> ReplyWindow:
    """The ticket's channel's window; closed for a channel the inbox cannot write to."""
    outbox = outboxes.get(current.channel)
    return outbox.window(current.citizen_id, current.last_citizen_at) if outbox is not None else NO_WINDOW


def text_limit(outboxes: Outboxes, channel: str) -> int:
    outbox = outboxes.get(channel)
    return outbox.text_limit if outbox is not None else DEFAULT_TEXT_LIMIT


def _outbox_for(outboxes: Outboxes, current: Ticket) -> CitizenOutbox:
    outbox = outboxes.get(current.channel)
    if outbox is None:
        raise TicketError(f"công dân hỏi qua kênh “{current.channel}”, không gửi được tin Zalo; hãy liên hệ bằng cách khác")
    return outbox


def department_name(desk: TicketDesk, current: Ticket) -> str:
    department = desk.departments.get(current.department_code)
    return department.name if department else current.department_code


def signature_for(desk: TicketDesk, current: Ticket, by: Staff, department_only: bool = False,
                  signatures: Signatures | None = None) -> str:
    return (signatures or load_signatures()).sign(by.display_name, department_name(desk, current), department_only)


async def send_officer_reply(desk: TicketDesk, outboxes: Outboxes, ticket_id: int, by: Staff, text: str,
                             department_only: bool = False, signatures: Signatures | None = None) -> ReplyOutcome:
    text = text.strip()
    if not text:
        raise TicketError("nội dung trả lời trống")
    current = await asyncio.to_thread(desk.get, ticket_id)
    require_act(by, current)
    outbox = _outbox_for(outboxes, current)
    signature = await asyncio.to_thread(signature_for, desk, current, by, department_only, signatures)
    text = signed(text, signature)
    if len(text) > outbox.text_limit:
        raise TicketError(f"tin nhắn Zalo tối đa {outbox.text_limit} ký tự, kể cả chữ ký (hiện {len(text)})")
    window = await asyncio.to_thread(outbox.window, current.citizen_id, current.last_citizen_at)
    if not window.can_send:
        await asyncio.to_thread(desk.record_reply, ticket_id, by, text, False,
                                {"error": "window_closed", "message": "Quá 7 ngày kể từ tin nhắn cuối của công dân"})
        return ReplyOutcome(False, "Không gửi được: đã quá 7 ngày kể từ tin nhắn cuối của công dân, Zalo không cho OA nhắn tư vấn. Hãy gọi điện hoặc chờ công dân nhắn lại.")
    sent = await outbox.send_text(current.citizen_id, text, f"ticket:{ticket_id}")
    data = {"zalo_message_id": sent.message_id} if sent.delivered else {
        "error": sent.status, "code": sent.error_code, "message": sent.error_message}
    await asyncio.to_thread(desk.record_reply, ticket_id, by, text, sent.delivered, data)
    if sent.delivered:
        return ReplyOutcome(True, "Đã gửi tới công dân qua Zalo.")
    return ReplyOutcome(False, f"Zalo từ chối tin nhắn (mã {sent.error_code}: {sent.error_message}). Tin đã được lưu trong yêu cầu; hãy liên hệ công dân cách khác.")


async def resolve_and_tell(desk: TicketDesk, outboxes: Outboxes, replies: Replies, ticket_id: int, by: Staff) -> ReplyOutcome:
    """Close the request (the desk checks who may), then tell the citizen in one message naming it,
    with the satisfaction question; their next message may answer it (the core reads the ticket's
    `feedback_stage`). `delivered` says whether the citizen was told."""
    await asyncio.to_thread(desk.resolve, ticket_id, by)
    current = await asyncio.to_thread(desk.get, ticket_id)
    outbox = outboxes.get(current.channel)
    if outbox is None:
        return ReplyOutcome(False, f"Đã đóng yêu cầu. Công dân hỏi qua kênh “{current.channel}”, nên chưa nhắn báo được.")
    window = await asyncio.to_thread(outbox.window, current.citizen_id, current.last_citizen_at)
    if not window.can_send:
        return ReplyOutcome(False, "Đã đóng yêu cầu. Đã quá 7 ngày kể từ tin nhắn cuối của công dân nên Zalo không cho nhắn báo.")
    name = await asyncio.to_thread(department_name, desk, current)
    reply = satisfaction.resolved_reply(replies, ticket_id, name)
    sent = await send_reply(outbox, current.citizen_id, reply, f"ticket:{ticket_id}:resolved")
    if not sent.delivered:
        return ReplyOutcome(False, f"Đã đóng yêu cầu, nhưng Zalo không nhận tin báo cho công dân (mã {sent.error_code}: {sent.error_message}).")

    def remember() -> None:
        with desk.engine.begin() as conn:
            desk.add_bot_message(ticket_id, reply.text, conn=conn)
            satisfaction.ask_rating(conn, ticket_id)
    await asyncio.to_thread(remember)
    return ReplyOutcome(True, "Đã đóng yêu cầu và nhắn báo công dân, kèm câu hỏi đánh giá.")

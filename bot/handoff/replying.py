"""An officer's reply from the inbox, sent to the citizen through their channel's outbox.

The channel sets the rules (Zalo: 7 days after the citizen's last message, 8 free replies in
48 hours; connectors/zalo/window.py): the inbox shows its window and warns before it closes; a
refusal is kept on the ticket, never lost. The channel is reached through the core's port
(`bot.core.ports.CitizenOutbox`), so nothing here knows a transport.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.core.ports import CLOSED, CLOSING, NO_WINDOW, OPEN, CitizenOutbox, Outboxes, ReplyWindow
from bot.handoff.staff import Staff
from bot.handoff.tickets import Ticket, TicketDesk, TicketError, require_act

__all__ = ["CLOSED", "CLOSING", "OPEN", "ReplyWindow", "ReplyOutcome", "reply_window", "send_officer_reply", "text_limit"]
DEFAULT_TEXT_LIMIT = 2000


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


async def send_officer_reply(desk: TicketDesk, outboxes: Outboxes, ticket_id: int, by: Staff, text: str) -> ReplyOutcome:
    text = text.strip()
    if not text:
        raise TicketError("nội dung trả lời trống")
    current = await asyncio.to_thread(desk.get, ticket_id)
    require_act(by, current)
    outbox = _outbox_for(outboxes, current)
    if len(text) > outbox.text_limit:
        raise TicketError(f"tin nhắn Zalo tối đa {outbox.text_limit} ký tự (hiện {len(text)})")
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

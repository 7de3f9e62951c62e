"""An officer's reply from the inbox, sent to the citizen through the Zalo channel's client.

Zalo lets an OA send customer-service messages only within 7 days of the citizen's last
interaction, the first 8 within 48 hours free (../shared/zalo-oa-api.md §3.4): the inbox shows
both and warns before the window closes; a refusal is kept on the ticket, never lost.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.db import utc_now
from bot.handoff.staff import Staff
from bot.handoff.tickets import Ticket, TicketDesk, TicketError, require_act
from bot.zalo_store import SENT, ZaloStore
from connectors.zalo.api import TEXT_LIMIT, ZaloApiClient
from connectors.zalo.delivery import deliver

WINDOW = timedelta(days=7)
FREE_PERIOD = timedelta(hours=48)
FREE_REPLIES = 8
CLOSING_WARNING = timedelta(hours=24)
OPEN, CLOSING, CLOSED = "open", "closing", "closed"


@dataclass(frozen=True)
class ReplyWindow:
    state: str  # open | closing (under 24 h left) | closed
    closes_at: datetime | None
    free_left: int  # free messages left in the 48 h after the citizen's last message (estimate)
    free_until: datetime | None

    @property
    def can_send(self) -> bool:
        return self.state != CLOSED


@dataclass(frozen=True)
class ReplyOutcome:
    delivered: bool
    message: str  # what the officer is told, in Vietnamese


def reply_window(current: Ticket, sent_since_citizen: int, now: datetime | None = None) -> ReplyWindow:
    now = now or utc_now()
    last = current.last_citizen_at
    if current.channel != "zalo" or last is None:
        return ReplyWindow(CLOSED, None, 0, None)
    closes, free_until = last + WINDOW, last + FREE_PERIOD
    if now >= closes:
        return ReplyWindow(CLOSED, closes, 0, free_until)
    free_left = max(0, FREE_REPLIES - sent_since_citizen) if now < free_until else 0
    return ReplyWindow(CLOSING if closes - now <= CLOSING_WARNING else OPEN, closes, free_left, free_until)


def sent_since(store: ZaloStore, current: Ticket) -> int:
    if current.last_citizen_at is None:
        return 0
    return sum(
        1 for row in store.outbound(current.citizen_id)
        if row.status == SENT and row.created_at >= current.last_citizen_at
    )


async def send_officer_reply(desk: TicketDesk, store: ZaloStore, client: ZaloApiClient, ticket_id: int,
                             by: Staff, text: str) -> ReplyOutcome:
    text = text.strip()
    if not text:
        raise TicketError("nội dung trả lời trống")
    if len(text) > TEXT_LIMIT:
        raise TicketError(f"tin nhắn Zalo tối đa {TEXT_LIMIT} ký tự (hiện {len(text)})")
    current = await asyncio.to_thread(desk.get, ticket_id)
    require_act(by, current)
    if current.channel != "zalo":
        raise TicketError(f"công dân hỏi qua kênh “{current.channel}”, không gửi được tin Zalo; hãy liên hệ bằng cách khác")
    window = reply_window(current, await asyncio.to_thread(sent_since, store, current))
    if not window.can_send:
        await asyncio.to_thread(desk.record_reply, ticket_id, by, text, False,
                                {"error": "window_closed", "message": "Quá 7 ngày kể từ tin nhắn cuối của công dân"})
        return ReplyOutcome(False, "Không gửi được: đã quá 7 ngày kể từ tin nhắn cuối của công dân, Zalo không cho OA nhắn tư vấn. Hãy gọi điện hoặc chờ công dân nhắn lại.")
    delivery = await deliver(client, current.citizen_id, text)
    await asyncio.to_thread(
        store.record_outbound, f"ticket:{ticket_id}", current.citizen_id, text, delivery.status,
        delivery.attempts, delivery.error_code, delivery.error_message, delivery.message_id,
    )
    delivered = delivery.status == SENT
    data = {"zalo_message_id": delivery.message_id} if delivered else {
        "error": delivery.status, "code": delivery.error_code, "message": delivery.error_message}
    await asyncio.to_thread(desk.record_reply, ticket_id, by, text, delivered, data)
    if delivered:
        return ReplyOutcome(True, "Đã gửi tới công dân qua Zalo.")
    return ReplyOutcome(False, f"Zalo từ chối tin nhắn (mã {delivery.error_code}: {delivery.error_message}). Tin đã được lưu trong yêu cầu; hãy liên hệ công dân cách khác.")


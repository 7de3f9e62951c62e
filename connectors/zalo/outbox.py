"""The core's `CitizenOutbox` for Zalo: an officer's reply from the inbox, within Zalo's window."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from functools import partial

from bot.core.ports import ReplyWindow, Sent
from bot.db import when_reachable
from bot.replies import Button
from bot.zalo_store import SENT, ZaloStore
from connectors.zalo.api import TEXT_LIMIT, ZaloApiClient
from connectors.zalo.delivery import deliver
from connectors.zalo.formatting import cap_buttons, zalo_buttons
from connectors.zalo.window import reply_window


class ZaloOutbox:
    channel = "zalo"
    text_limit = TEXT_LIMIT

    def __init__(self, client: ZaloApiClient, store: ZaloStore) -> None:
        self.client = client
        self.store = store

    def window(self, citizen_id: str, last_citizen_at: datetime | None, now: datetime | None = None) -> ReplyWindow:
        return reply_window(last_citizen_at, self._sent_since(citizen_id, last_citizen_at), now)

    def _sent_since(self, citizen_id: str, since: datetime | None) -> int:
        if since is None:
            return 0
        return sum(1 for row in self.store.outbound(citizen_id) if row.status == SENT and row.created_at >= since)

    async def send_text(self, citizen_id: str, text: str, reference: str, buttons: Sequence[Button] = ()) -> Sent:
        """`buttons` (e.g. the rating after a resolution) go as Zalo buttons; the text must list
        them too, for Zalo PC/Web and for a Zalo that refuses them (docs/zalo-buttons.md)."""
        chosen = cap_buttons(zalo_buttons({"title": b.title, "payload": b.payload} for b in buttons))
        delivery = await deliver(self.client, citizen_id, text, buttons=chosen)
        await asyncio.to_thread(when_reachable, partial(
            self.store.record_outbound, reference, citizen_id, text, delivery.status,
            delivery.attempts, delivery.error_code, delivery.error_message, delivery.message_id,
        ))
        return Sent(delivery.status == SENT, delivery.status, delivery.message_id, delivery.error_code, delivery.error_message)

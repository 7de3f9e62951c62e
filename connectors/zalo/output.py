"""One bot turn's replies to one citizen, collected and then sent as few Zalo messages as fit."""
from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

from bot.db import when_reachable
from bot.zalo_store import SENT, ZaloStore
from connectors.zalo.api import ZaloApiClient, ZaloButton
from connectors.zalo.delivery import Delivery, deliver
from connectors.zalo.formatting import cap_buttons, turn_messages, with_numbered_buttons, zalo_buttons

logger = logging.getLogger(__name__)


class ZaloOutput:
    """Rasa's OutputChannel methods (duck-typed, so the web process need not import Rasa)."""

    def __init__(self, client: ZaloApiClient, store: ZaloStore, user_id: str, event_key: str | None) -> None:
        self._client = client
        self._store = store
        self._user_id = user_id
        self._event_key = event_key
        self._texts: list[str] = []
        self._buttons: list[ZaloButton] = []

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self._texts.append(text)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        # Both: Zalo buttons for the phone, and the numbered text for Zalo PC/Web, where buttons do
        # not show. A tap and a typed reply reach the core the same way, as the citizen's text.
        self._texts.append(with_numbered_buttons(text, buttons))
        self._buttons.extend(zalo_buttons(buttons))

    async def flush(self) -> list[Delivery]:
        deliveries = []
        for message in turn_messages(self._texts, cap_buttons(self._buttons)):
            # Kept before it goes and settled after: a worker killed in between leaves a `sending`
            # row, which the next worker checks with Zalo before it runs the turn again.
            row = await asyncio.to_thread(when_reachable, partial(
                self._store.begin_outbound, self._event_key, self._user_id, message.text))
            delivery = await deliver(self._client, self._user_id, message.text, buttons=message.buttons)
            # Delivered and then not recorded, the turn would run again and the citizen read it twice.
            await asyncio.to_thread(when_reachable, partial(
                self._store.finish_outbound, row, delivery.status, delivery.attempts, delivery.error_code,
                delivery.error_message, delivery.message_id,
            ))
            if delivery.status != SENT:
                logger.warning("reply to %s %s (%s)", self._user_id, delivery.status, delivery.error_message)
            deliveries.append(delivery)
        self._texts = []
        self._buttons = []
        return deliveries

"""The Zalo side of the web process: webhook ledger, background handling, the OA API client.

What a message means (a ticket open, an attachment, an officer in Zalo's own tool) is the
conversation core's to decide (bot/core); this package is Zalo's client and channel only.

Built once per web process from the credentials file and the database; `start` seeds the token
pair, handles what an earlier run acknowledged but never handled, and keeps sweeping for events
whose handling failed (Rasa away, database restarting), so an acknowledged event is never lost.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy.engine import Engine

from bot.config import rasa_url as default_rasa_url
from bot.faq.knowledge_base import load_knowledge_base
from bot.core.build import channel_events
from bot.privacy import notice_text
from bot.replies import Replies, load_templates
from bot.zalo_store import ZaloStore, now
from connectors.zalo.api import ZaloApiClient
from connectors.zalo.dispatcher import ZaloDispatcher
from connectors.zalo.output import ZaloOutput
from connectors.zalo.settings import ZaloSettings
from connectors.zalo.tokens import OAuthClient, TokenManager
from connectors.zalo.turns import RasaTurnClient

logger = logging.getLogger(__name__)

SEEDED_TOKEN_LIFETIME = timedelta(hours=25)
SWEEP_SECONDS = 30.0


class ZaloGateway:
    def __init__(self, settings: ZaloSettings, engine: Engine, rasa_url: str | None = None) -> None:
        self.settings = settings
        self.store = ZaloStore(engine)
        self.tokens = TokenManager(self.store, OAuthClient(settings.oauth_base, settings.app_id, settings.app_secret))
        self.client = ZaloApiClient(settings.api_base, self.tokens)
        self.turns = RasaTurnClient(rasa_url or default_rasa_url(), settings.oa_secret_key)
        replies = Replies(load_templates(), load_knowledge_base().unit)
        self.dispatcher = ZaloDispatcher(
            settings.app_id, settings.oa_secret_key, self.store, self.client,
            replies, self.turns, self.output,
            channel_events(engine, replies), notice=notice_text(replies),
        )
        self._sweeper: asyncio.Task | None = None

    def output(self, user_id: str, event_key: str | None) -> ZaloOutput:
        return ZaloOutput(self.client, self.store, user_id, event_key)

    async def start(self) -> None:
        await asyncio.to_thread(self._seed_token)
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        if self._sweeper:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await self.turns.aclose()
        await self.client.aclose()

    async def follower_count(self) -> int:
        return await self.client.follower_count()

    async def token_status(self) -> str:
        return await asyncio.to_thread(self.tokens.status)

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.dispatcher.resume()
            except Exception:  # noqa: BLE001 - e.g. the database restarting: try again next sweep
                logger.exception("sweep for unhandled Zalo events failed")
            await asyncio.sleep(SWEEP_SECONDS)

    def _seed_token(self) -> None:
        if self.settings.access_token and self.settings.refresh_token:
            self.store.seed_token(self.settings.access_token, self.settings.refresh_token, now() + SEEDED_TOKEN_LIFETIME)
        elif self.store.token() is None:
            logger.error("no Zalo token pair: set ZALO_ACCESS_TOKEN and ZALO_REFRESH_TOKEN from the OA consent")

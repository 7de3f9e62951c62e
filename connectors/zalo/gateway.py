"""The Zalo channel's parts for a process that sends: the OA API client, its tokens, the
dispatcher a turn worker runs, the outbox the staff site sends officers' replies through.

What a message means (a ticket open, an attachment, an officer in Zalo's own tool) is the
conversation core's to decide (bot/core); this package is Zalo's client and channel only.

Built once per process (a turn worker, the web process) from the credentials file and the
database; `start` seeds the token pair. Events acknowledged but not handled are the inbound
ledger's: any turn worker takes them, now or after a restart, so none is lost.
"""
from __future__ import annotations

import asyncio
import logging
import os
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


class ZaloGateway:
    def __init__(self, settings: ZaloSettings, engine: Engine, rasa_url: str | None = None) -> None:
        """`rasa_url` may name several Rasa servers, comma-separated: turns go round them and a
        server that does not answer is skipped (RASA_URLS in the environment, else RASA_URL)."""
        self.settings = settings
        self.store = ZaloStore(engine)
        self.tokens = TokenManager(self.store, OAuthClient(settings.oauth_base, settings.app_id, settings.app_secret))
        self.client = ZaloApiClient(settings.api_base, self.tokens)
        self.turns = RasaTurnClient(rasa_url or os.environ.get("RASA_URLS") or default_rasa_url(), settings.oa_secret_key)
        replies = Replies(load_templates(), load_knowledge_base().unit)
        self.dispatcher = ZaloDispatcher(
            settings.app_id, settings.oa_secret_key, self.store, self.client,
            replies, self.turns, self.output,
            channel_events(engine, replies), notice=notice_text(replies),
        )

    def output(self, user_id: str, event_key: str | None) -> ZaloOutput:
        return ZaloOutput(self.client, self.store, user_id, event_key)

    async def start(self) -> None:
        await asyncio.to_thread(self._seed_token)

    async def stop(self) -> None:
        await self.turns.aclose()
        await self.client.aclose()

    async def follower_count(self) -> int:
        return await self.client.follower_count()

    async def token_status(self) -> str:
        return await asyncio.to_thread(self.tokens.status)

    def _seed_token(self) -> None:
        if self.settings.access_token and self.settings.refresh_token:
            self.store.seed_token(self.settings.access_token, self.settings.refresh_token, now() + SEEDED_TOKEN_LIFETIME)
        elif self.store.token() is None:
            logger.error("no Zalo token pair: set ZALO_ACCESS_TOKEN and ZALO_REFRESH_TOKEN from the OA consent")

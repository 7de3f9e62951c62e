"""Rasa input and output channel for a Zalo Official Account.

Configured in credentials.yml under `connectors.zalo.channel.ZaloInput` (Rasa's
`from_credentials`), every value overridable by the environment. Zalo posts to
`/webhooks/zalo/webhook`; `GET /webhooks/zalo/` is the health route.
"""
from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.db import get_engine
from bot.faq.knowledge_base import load_knowledge_base
from bot.replies import Replies, load_templates
from bot.zalo_store import SENT, ZaloStore, now
from connectors.zalo.api import ZaloApiClient
from connectors.zalo.delivery import deliver
from connectors.zalo.dispatcher import ZaloDispatcher
from connectors.zalo.formatting import merge_and_split, with_numbered_buttons
from connectors.zalo.tokens import OAuthClient, TokenManager

logger = logging.getLogger(__name__)

# credentials.yml key -> environment variable that overrides it
_SETTINGS = {
    "app_id": "ZALO_APP_ID",
    "app_secret": "ZALO_APP_SECRET",
    "oa_secret_key": "ZALO_OA_SECRET_KEY",
    "access_token": "ZALO_ACCESS_TOKEN",
    "refresh_token": "ZALO_REFRESH_TOKEN",
    "api_base": "ZALO_API_BASE",
    "oauth_base": "ZALO_OAUTH_BASE",
}
_DEFAULT_BASES = {"api_base": "https://openapi.zalo.me", "oauth_base": "https://oauth.zaloapp.com"}
SEEDED_TOKEN_LIFETIME = timedelta(hours=25)


@dataclass(frozen=True)
class ZaloSettings:
    app_id: str
    app_secret: str
    oa_secret_key: str
    access_token: str
    refresh_token: str
    api_base: str
    oauth_base: str

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any]) -> ZaloSettings:
        # A real app (ZALO_APP_ID) takes nothing from the file, whose values are the simulator's.
        file_values = {} if os.environ.get("ZALO_APP_ID") else credentials
        values = {
            key: os.environ.get(env) or str(file_values.get(key) or _DEFAULT_BASES.get(key, ""))
            for key, env in _SETTINGS.items()
        }
        return cls(**values)


class ZaloOutput(OutputChannel):
    """Collects one turn's utterances, then sends them as few Zalo messages as fit."""

    @classmethod
    def name(cls) -> str:
        return "zalo"

    def __init__(self, client: ZaloApiClient, store: ZaloStore, user_id: str, event_key: str | None) -> None:
        self._client = client
        self._store = store
        self._user_id = user_id
        self._event_key = event_key
        self._texts: list[str] = []
        self.buttons: list[dict[str, Any]] = []

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self._texts.append(text)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        self._texts.append(with_numbered_buttons(text, buttons))
        self.buttons = list(buttons)

    async def send_quick_replies(self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        self._texts.append(image)

    async def send_attachment(self, recipient_id: str, attachment: str, **kwargs: Any) -> None:
        self._texts.append(str(attachment))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        logger.info("custom JSON has no Zalo form; not sent: %s", json_message)

    async def flush(self) -> None:
        for text in merge_and_split(self._texts):
            delivery = await deliver(self._client, self._user_id, text)
            await asyncio.to_thread(
                self._store.record_outbound, self._event_key, self._user_id, text, delivery.status,
                delivery.attempts, delivery.error_code, delivery.error_message, delivery.message_id,
            )
            if delivery.status != SENT:
                logger.warning("reply to %s %s (%s)", self._user_id, delivery.status, delivery.error_message)
        self._texts = []


class ZaloInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "zalo"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if credentials is None:
            cls.raise_missing_credentials_exception()
        settings = ZaloSettings.from_credentials(credentials)
        if not settings.app_id or not settings.oa_secret_key:
            cls.raise_missing_credentials_exception()
        return cls(settings)

    def __init__(self, settings: ZaloSettings, store: ZaloStore | None = None) -> None:
        self.settings = settings
        self.store = store or ZaloStore(get_engine())
        self.tokens = TokenManager(self.store, OAuthClient(settings.oauth_base, settings.app_id, settings.app_secret))
        self.client = ZaloApiClient(settings.api_base, self.tokens)

    def dispatcher(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> ZaloDispatcher:
        kb = load_knowledge_base()
        return ZaloDispatcher(
            self.settings.app_id, self.settings.oa_secret_key, self.store, self.client,
            Replies(load_templates(), kb.unit), on_new_message,
            lambda user_id, event_key: ZaloOutput(self.client, self.store, user_id, event_key),
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        dispatcher = self.dispatcher(on_new_message)
        zalo_webhook = Blueprint("zalo_webhook", __name__)

        @zalo_webhook.listener("after_server_start")
        async def resume(app: Any, loop: Any) -> None:
            await asyncio.to_thread(self._seed_token)
            await dispatcher.resume()

        @zalo_webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            token = await asyncio.to_thread(self.tokens.status)
            return response.json({"status": "ok" if token == "ok" else "degraded", "token": token})

        @zalo_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            status, body = await dispatcher.accept(request.body, request.headers)
            return response.json(body, status=status, ensure_ascii=False)

        return zalo_webhook

    def _seed_token(self) -> None:
        if self.settings.access_token and self.settings.refresh_token:
            self.store.seed_token(self.settings.access_token, self.settings.refresh_token, now() + SEEDED_TOKEN_LIFETIME)
        elif self.store.token() is None:
            logger.error("no Zalo token pair: set ZALO_ACCESS_TOKEN and ZALO_REFRESH_TOKEN from the OA consent")

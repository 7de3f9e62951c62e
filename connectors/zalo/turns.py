"""A citizen's text turn, as the gateway hands it to the bot, and the client that runs it in Rasa.

The web process owns the webhook (acknowledged in milliseconds, whatever Rasa is doing) and asks
Rasa's Zalo channel for the bot's replies to one message at a time: `POST /webhooks/zalo/turn`.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from connectors.zalo.signature import GATEWAY_HEADER, gateway_signature

logger = logging.getLogger(__name__)

TURN_PATH = "/webhooks/zalo/turn"
# Rasa restarting or swapping its model: connection errors are retried for about half a minute;
# after that the event stays unhandled and the gateway's sweep tries it again later.
CONNECT_ATTEMPTS = 6
CONNECT_BACKOFF_SECONDS = 0.5


class TurnOutput(Protocol):
    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None: ...

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any) -> None: ...


@dataclass
class BotTurn:
    text: str
    output_channel: TurnOutput
    sender_id: str
    message_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


class BotUnavailable(Exception):
    """Rasa did not take the turn; the event is kept and handled again later."""


class RasaTurnClient:
    """`rasa_url` may name several servers, comma-separated (they share trackers and a lock store):
    turns go round them, and one that fails to answer is skipped for the next, so a server killed
    mid-turn costs that turn a retry on another, not the citizen an answer."""

    def __init__(self, rasa_url: str, oa_secret_key: str, http: httpx.AsyncClient | None = None, timeout: float = 30.0) -> None:
        self._urls = [u.strip().rstrip("/") + TURN_PATH for u in rasa_url.split(",") if u.strip()]
        self._next = 0
        self._secret = oa_secret_key
        self._http = http or httpx.AsyncClient(timeout=timeout)

    async def __call__(self, turn: BotTurn) -> None:
        body = json.dumps(
            {"sender": turn.sender_id, "text": turn.text, "message_id": turn.message_id, "metadata": turn.metadata},
            ensure_ascii=False,
        ).encode("utf-8")
        headers = {"Content-Type": "application/json", GATEWAY_HEADER: gateway_signature(body, self._secret)}
        response = await self._post(body, headers)
        for message in response.get("messages", []):
            text = message.get("text") or ""
            if message.get("buttons"):
                await turn.output_channel.send_text_with_buttons(turn.sender_id, text, message["buttons"])
            elif text:
                await turn.output_channel.send_text_message(turn.sender_id, text)

    async def _post(self, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        for attempt in range(1, CONNECT_ATTEMPTS + 1):
            problem = ""
            for url in self._round():
                try:
                    response = await self._http.post(url, content=body, headers=headers)
                except httpx.TransportError as exc:  # refused, or the server died mid-turn
                    problem = f"Rasa at {url} unreachable: {exc!r}"
                    continue
                if response.status_code == 503:  # no model loaded yet
                    problem = f"Rasa at {url} has no model yet"
                    continue
                if response.status_code != 200:
                    raise BotUnavailable(f"Rasa answered the turn with HTTP {response.status_code}: {response.text[:200]}")
                return response.json()
            if attempt == CONNECT_ATTEMPTS:
                raise BotUnavailable(problem)
            await asyncio.sleep(CONNECT_BACKOFF_SECONDS * 2 ** (attempt - 1))
        raise BotUnavailable("unreachable")

    def _round(self) -> list[str]:
        """Every server once, starting from the next in turn."""
        start = self._next
        self._next = (self._next + 1) % len(self._urls)
        return self._urls[start:] + self._urls[:start]

    async def aclose(self) -> None:
        await self._http.aclose()

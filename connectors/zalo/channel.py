"""Rasa's input channel for a Zalo Official Account.

Zalo posts its webhooks to the web process (bot.web, `POST /webhooks/zalo/webhook`), which
stores and acknowledges them at once and hands each citizen text to this channel as one signed
turn: `POST /webhooks/zalo/turn` answers with the bot's replies for the gateway to send. Rasa's
event loop, busy with NLU, thus never delays an acknowledgement Zalo wants within 2 seconds.

Configured in credentials.yml under `connectors.zalo.channel.ZaloInput` (Rasa's
`from_credentials`), every value overridable by the environment (connectors/zalo/settings.py).
"""
from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.zalo.settings import ZaloSettings
from connectors.zalo.signature import GATEWAY_HEADER, verify_gateway_signature

logger = logging.getLogger(__name__)


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

    def __init__(self, settings: ZaloSettings) -> None:
        self.settings = settings

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        zalo = Blueprint("zalo_turns", __name__)

        @zalo.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            agent = getattr(request.app.ctx, "agent", None)
            ready = bool(agent and agent.is_ready())
            return response.json({"status": "ok" if ready else "loading"}, status=200 if ready else 503)

        @zalo.route("/turn", methods=["POST"])
        async def turn(request: Request) -> HTTPResponse:
            if not verify_gateway_signature(request.headers.get(GATEWAY_HEADER), request.body, self.settings.oa_secret_key):
                return response.json({"error": "bad gateway signature"}, status=401)
            try:
                body = json.loads(request.body)
                sender, text = str(body["sender"]), str(body["text"])
            except (ValueError, KeyError, TypeError):
                return response.json({"error": "a turn needs JSON with sender and text"}, status=400)
            agent = getattr(request.app.ctx, "agent", None)
            if not agent or not agent.is_ready():
                return response.json({"error": "no model loaded yet"}, status=503)
            # Silence is an answer too: a message added to an open ticket gets none (bot/core).
            attempt = uuid.uuid4().hex  # this try of the turn, told apart from an earlier try of the same message
            collector = await self._handle(on_new_message, sender, text, body, attempt)
            if not collector.messages and not await _action_ran(agent, sender, attempt):
                # Rasa answers with nothing both when the action call failed ("the actions events
                # are lost") and when its tracker could not be saved (its FailSafeTrackerStore logs
                # and goes on, e.g. while PostgreSQL restarts); said 503, the worker keeps the event.
                return response.json({"error": "the action server did not answer this turn"}, status=503)
            return response.json({"messages": collector.messages}, ensure_ascii=False)

        return zalo

    async def _handle(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], sender: str, text: str,
                      body: dict[str, Any], attempt: str) -> CollectingOutputChannel:
        collector = CollectingOutputChannel()
        # Zalo's msg_id is in the metadata already; Rasa's message_id names this attempt (_action_ran).
        await on_new_message(UserMessage(
            text, collector, sender, input_channel=self.name(), message_id=attempt, metadata=body.get("metadata") or None,
        ))
        return collector


# Every run of action_respond sets this slot (actions/actions.py), even to the value it had; a turn
# without it after the citizen's message is a turn whose action never reached the action server.
TURN_DONE_SLOT = "failed_turns"


async def _action_ran(agent: Any, sender: str, attempt: str) -> bool:
    """Whether this attempt's turn ran the action and was stored (a silent turn may be the core's
    choice). A stored tracker without this attempt's message is a save that failed: an earlier
    turn's slot must not vouch for it."""
    tracker = await agent.tracker_store.retrieve(sender)
    if tracker is None:
        return False
    ran = False
    for event in reversed(tracker.events):
        if event.type_name == "slot" and getattr(event, "key", None) == TURN_DONE_SLOT:
            ran = True
        if event.type_name == "user":
            return ran and getattr(event, "message_id", None) == attempt
    return False

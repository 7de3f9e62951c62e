"""Rasa's REST channel as this product runs it: `POST /webhooks/rest/webhook`, for development,
curl and tests.

Rasa's own channel is anonymous and takes any sender id, so a REST message could speak as a Zalo
citizen (and its ticket swallowed that citizen's real messages). Here every REST sender id is
"rest:<id>", which no Zalo id (digits) can equal; the channel name is always "rest"; a message is
at most 2,000 characters (Zalo's limit) and a sender at most MESSAGES_PER_MINUTE; and with a real
Zalo app configured (ZALO_APP_ID) the channel is off unless a token is set (RASA_REST_TOKEN, sent
as `Authorization: Bearer <token>`).

Configured in credentials.yml as `connectors.rest.RestInput:` in place of `rest:`.
"""
from __future__ import annotations

import hmac
import os
from typing import Any

from rasa.core.channels import rest
from sanic.exceptions import NotFound, SanicException, Unauthorized
from sanic.request import Request

from connectors.limits import MESSAGE_LIMIT, MESSAGES_PER_MINUTE, SenderRate, clean_text

PREFIX = "rest:"
TOKEN_ENV = "RASA_REST_TOKEN"


def namespaced(sender: Any) -> str:
    """The tracker id of a REST sender: "rest:<id>", whatever the client sent."""
    text = clean_text(str(sender), limit=128)
    return text if text.startswith(PREFIX) else PREFIX + text


class RestInput(rest.RestInput):
    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> RestInput:
        token = os.environ.get(TOKEN_ENV) or str((credentials or {}).get("token") or "")
        # With a real Official Account, citizens come through Zalo only; REST needs its token.
        return cls(token=token, enabled=bool(token) or not os.environ.get("ZALO_APP_ID"))

    def __init__(self, token: str = "", enabled: bool = True) -> None:
        self.token = token
        self.enabled = enabled
        self.rate = SenderRate(MESSAGES_PER_MINUTE)

    async def _extract_sender(self, req: Request) -> str:
        if not self.enabled:
            raise NotFound("the REST channel is off while a Zalo app is configured (set RASA_REST_TOKEN)")
        if self.token:
            supplied = req.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(supplied.encode(), self.token.encode()):
                raise Unauthorized("wrong or missing REST token")
        body = req.json if isinstance(req.json, dict) else None
        if body is None or body.get("sender") is None or not isinstance(body.get("message"), str):
            raise SanicException("a REST message needs JSON with sender and message", status_code=400)
        sender = namespaced(body["sender"])
        if not self.rate.allow(sender):
            raise SanicException(f"more than {MESSAGES_PER_MINUTE} messages a minute from this sender", status_code=429)
        return sender

    def _extract_message(self, req: Request) -> str:
        text = req.json["message"]
        if len(text) > MESSAGE_LIMIT:
            raise SanicException(f"a message is at most {MESSAGE_LIMIT} characters", status_code=413)
        return clean_text(text)

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()  # never "zalo": the channel decides where an officer's reply goes

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        return None

"""Zalo OA Open API client (httpx, async): consultation messages (text, optionally with buttons)
and user details.

Errors come back with HTTP 200 and a non-zero `error` (../shared/zalo-oa-api.md §3.3, §6):

    ZaloApiError            any non-zero `error`; `.code`, `.message`
    httpx.TransportError    the connection failed or timed out (retryable)
    ZaloHttpError           Zalo answered with HTTP 5xx (retryable)
"""
from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

from bot.core.ports import ChannelError

logger = logging.getLogger(__name__)

TOKEN_ERRORS = frozenset({-216, -220})
RETRYABLE_ERRORS = frozenset({-32, -200})
# The citizen cannot be reached this way: officers must see it, retrying will not help.
UNREACHABLE_ERRORS = frozenset({-213, -217, -218, -227, -230, -232, -234, -244})
TEXT_LIMIT = 2000
# Buttons appendix (DOCS phu-luc/cau-truc-cua-tham-so-buttons): at most 5, title <= 100, payload <= 1000.
MAX_BUTTONS = 5
BUTTON_TITLE_LIMIT = 100
BUTTON_PAYLOAD_LIMIT = 1000
QUERY_SHOW = "oa.query.show"
QUERY_HIDE = "oa.query.hide"


@dataclass(frozen=True)
class ZaloButton:
    """An `oa.query.*` button: a tap sends `payload` to the OA as if the citizen had typed it."""

    title: str
    payload: str
    type: str = QUERY_SHOW

    def to_json(self) -> dict[str, str]:
        return {"title": self.title, "type": self.type, "payload": self.payload}


class ZaloApiError(ChannelError):
    def __init__(self, code: int, message: str, path: str = "") -> None:
        super().__init__(f"Zalo error {code} on {path}: {message}")
        self.code = code
        self.message = message
        self.path = path

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE_ERRORS

    @property
    def token_problem(self) -> bool:
        return self.code in TOKEN_ERRORS

    @property
    def unreachable(self) -> bool:
        return self.code in UNREACHABLE_ERRORS


class ZaloHttpError(ChannelError):
    """Zalo answered with an HTTP server error."""

    def __init__(self, status: int, path: str) -> None:
        super().__init__(f"Zalo answered HTTP {status} on {path}")
        self.status = status


class TokenSource(Protocol):
    async def access_token(self) -> str: ...

    async def refresh(self, stale: str | None) -> str: ...


@dataclass(frozen=True)
class SendResult:
    message_id: str | None
    quota: dict[str, Any] | None


def sent_in(recent: Sequence["ConversationMessage"], text: str, handed_at: datetime, taken: set[str],
            clock_skew: timedelta = timedelta(minutes=2)) -> str | None:
    """Zalo's message id of an OA message with `text` sent after `handed_at` (give or take the two
    clocks' difference) and not matched before (`taken`, updated); None when Zalo has none."""
    since_ms = int((handed_at - clock_skew).timestamp() * 1000)
    for message in recent:
        if message.from_oa and message.text == text and message.time_ms >= since_ms and message.message_id not in taken:
            taken.add(message.message_id)
            return message.message_id
    return None


CONVERSATION_PAGE = 10  # Zalo answers -210 to a larger `count`


@dataclass(frozen=True)
class ConversationMessage:
    """One item of Zalo's conversation history (`src` 0: the OA to the citizen; `time` epoch ms)."""

    message_id: str
    from_oa: bool
    text: str
    time_ms: int

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> "ConversationMessage":
        try:
            time_ms = int(item.get("time") or 0)
        except (TypeError, ValueError):
            time_ms = 0
        return cls(str(item.get("message_id", "")), str(item.get("src")) == "0", str(item.get("message") or ""), time_ms)


class ZaloApiClient:
    def __init__(self, api_base: str, tokens: TokenSource, http: httpx.AsyncClient | None = None, timeout: float = 10.0) -> None:
        self._base = api_base.rstrip("/")
        self._tokens = tokens
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._names: dict[str, str] = {}

    async def send_text(self, user_id: str, text: str, buttons: Sequence[ZaloButton] = ()) -> SendResult:
        """Send one consultation ("tư vấn") text message; one attempt, one token refresh at most.

        Buttons go in a template attachment without `template_type`, the shape of Zalo's buttons
        appendix; Zalo's CS pages do not document it (docs/zalo-buttons.md says why we send it).
        """
        message: dict[str, Any] = {"text": text}
        if buttons:
            message["attachment"] = {"type": "template", "payload": {"buttons": [b.to_json() for b in buttons]}}
        body = {"recipient": {"user_id": user_id}, "message": message}
        data = await self._call(lambda token: self._http.post(
            f"{self._base}/v3.0/oa/message/cs", json=body, headers={"access_token": token}
        ), "/v3.0/oa/message/cs")
        payload = data.get("data") or {}
        return SendResult(
            message_id=str(payload["message_id"]) if payload.get("message_id") is not None else None,
            quota=payload.get("quota"),
        )

    async def display_name(self, user_id: str) -> str | None:
        """The citizen's Zalo display name (cached per process); None when Zalo will not say."""
        if user_id in self._names:
            return self._names[user_id]
        params = {"data": json.dumps({"user_id": user_id})}
        try:
            data = await self._call(lambda token: self._http.get(
                f"{self._base}/v3.0/oa/user/detail", params=params, headers={"access_token": token}
            ), "/v3.0/oa/user/detail")
        except (ZaloApiError, ZaloHttpError, httpx.HTTPError) as exc:
            logger.warning("no display name for %s: %s", user_id, exc)
            return None
        name = (data.get("data") or {}).get("display_name")
        if name:
            self._names[user_id] = str(name)
        return name

    async def recent_messages(self, user_id: str, count: int = CONVERSATION_PAGE) -> list[ConversationMessage]:
        """The newest `count` (at most 10) messages between the OA and one citizen, newest first,
        from `GET v2.0/oa/conversation`: what Zalo itself holds as sent."""
        params = {"data": json.dumps({"user_id": user_id, "offset": 0, "count": min(count, CONVERSATION_PAGE)})}
        data = await self._call(lambda token: self._http.get(
            f"{self._base}/v2.0/oa/conversation", params=params, headers={"access_token": token}
        ), "/v2.0/oa/conversation")
        items = data.get("data")
        if not isinstance(items, list):
            raise ZaloApiError(-1, "conversation answered without a list", "/v2.0/oa/conversation")
        return [ConversationMessage.from_json(item) for item in items if isinstance(item, dict)]

    async def follower_count(self) -> int:
        """The OA's `num_follower` from `GET v2.0/oa/getoa` (the report's daily snapshot)."""
        data = await self._call(lambda token: self._http.get(
            f"{self._base}/v2.0/oa/getoa", headers={"access_token": token}
        ), "/v2.0/oa/getoa")
        try:
            return int((data.get("data") or {})["num_follower"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ZaloApiError(-1, "getoa answered without num_follower", "/v2.0/oa/getoa") from exc

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, request: Callable[[str], Awaitable[httpx.Response]], path: str) -> dict[str, Any]:
        token = await self._tokens.access_token()
        try:
            return await self._checked(await request(token), path)
        except ZaloApiError as exc:
            if not exc.token_problem:
                raise
            logger.info("Zalo refused the access token (%s); refreshing and retrying once", exc.code)
            token = await self._tokens.refresh(stale=token)
            return await self._checked(await request(token), path)

    @staticmethod
    async def _checked(response: httpx.Response, path: str) -> dict[str, Any]:
        if response.status_code >= 500:
            raise ZaloHttpError(response.status_code, path)
        try:
            data = response.json()
        except ValueError as exc:
            raise ZaloHttpError(response.status_code, path) from exc
        code = int(data.get("error", 0) or 0)
        if code != 0:
            raise ZaloApiError(code, str(data.get("message", "")), path)
        return data

"""Fixtures for the Zalo channel: a fake Zalo API (httpx MockTransport), a store per database."""
from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete

from bot.db import audit_log, staff, staff_session, ticket, ticket_event, zalo_conversation, zalo_event, zalo_outbound, zalo_token
from bot.inbound_ledger import inbound_event, inbound_lease
from bot.zalo_store import ZaloStore
from connectors.zalo.api import ZaloApiClient
from connectors.zalo.signature import signature_header

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "zalo"
APP_ID, OA_SECRET = "sim-app", "sim-oa-secret"


def fixture_body(name: str, **changes) -> bytes:
    """A captured event, optionally changed, serialised once: the bytes Zalo would post."""
    body = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    for key, value in changes.items():
        if isinstance(value, dict):
            body.setdefault(key, {}).update(value)
        else:
            body[key] = value
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def signed(raw: bytes, key: str = OA_SECRET) -> dict[str, str]:
    timestamp = json.loads(raw)["timestamp"]
    return {"X-ZEvent-Signature": signature_header(APP_ID, raw, timestamp, key)}


class FakeZalo:
    """The OA API as a MockTransport handler: records sends, answers scripted errors first."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.errors: list[int] = []  # for sends: Zalo error codes, or HTTP statuses >= 500
        self.detail_errors: list[int] = []  # for user/detail
        self.valid_tokens = {"token-1"}
        self.sent_at: list[int] = []  # epoch ms of each send, for the conversation history
        self.conversation_reads = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        reading = request.url.path.endswith("/v2.0/oa/conversation")  # not one of the scripted calls
        scripted = self.detail_errors if request.url.path.endswith("/user/detail") else self.errors
        if scripted and not reading:
            code = scripted.pop(0)
            if code >= 500:
                return httpx.Response(code, text="upstream error")
            return httpx.Response(200, json={"error": code, "message": f"scripted {code}"})
        if request.headers.get("access_token") not in self.valid_tokens:
            return httpx.Response(200, json={"error": -216, "message": "Access token is invalid"})
        if reading:
            return self._conversation(json.loads(request.url.params["data"]))
        if request.url.path.endswith("/user/detail"):
            return httpx.Response(200, json={"error": 0, "message": "Success", "data": {"display_name": "Nguyễn Văn An"}})
        body = json.loads(request.content)
        self.sent.append(body)
        self.sent_at.append(int(time.time() * 1000))
        return httpx.Response(200, json={"error": 0, "message": "Success", "data": {
            "message_id": f"m{len(self.sent)}", "user_id": body["recipient"]["user_id"],
            "quota": {"quota_type": "reply", "remain": "7", "total": "8"},
        }})

    def _conversation(self, query: dict) -> httpx.Response:
        """`GET v2.0/oa/conversation`: the OA's sends to one citizen, newest first (src 0)."""
        self.conversation_reads += 1
        items = [{"src": 0, "time": at, "type": "text", "message": body["message"]["text"], "message_id": f"m{n + 1}"}
                 for n, (body, at) in enumerate(zip(self.sent, self.sent_at))
                 if body["recipient"]["user_id"] == query["user_id"]]
        return httpx.Response(200, json={"error": 0, "message": "Success", "data": items[::-1][:query["count"]]})

    def texts_to(self, user_id: str) -> list[str]:
        return [b["message"]["text"] for b in self.sent if b["recipient"]["user_id"] == user_id]


class FakeTokens:
    def __init__(self, token: str = "token-1", fresh: str = "token-1") -> None:
        self.token, self.fresh, self.refreshes = token, fresh, 0

    async def access_token(self) -> str:
        return self.token

    async def refresh(self, stale: str | None) -> str:
        self.refreshes += 1
        self.token = self.fresh
        return self.token


@pytest.fixture
def fake_zalo() -> FakeZalo:
    return FakeZalo()


@pytest.fixture
def fake_tokens() -> FakeTokens:
    return FakeTokens()


@pytest.fixture
def client(fake_zalo, fake_tokens) -> ZaloApiClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake_zalo.handler))
    return ZaloApiClient("https://openapi.zalo.me", fake_tokens, http=http)


@pytest.fixture
def store(db_engine):
    """A store on each database; the Zalo tables are emptied after the test."""
    yield ZaloStore(db_engine)
    with db_engine.begin() as conn:
        for table in (ticket_event, ticket, audit_log, staff_session, staff, zalo_event, zalo_outbound, zalo_conversation, zalo_token,
                      inbound_event, inbound_lease):
            conn.execute(delete(table))


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()

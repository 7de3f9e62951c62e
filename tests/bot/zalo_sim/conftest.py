"""The simulator app in-process over ASGI, with webhooks captured by an httpx MockTransport."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from bot.web.app import create_app
from bot.zalo_sim.dependencies import get_simulator
from bot.zalo_sim.settings import Settings
from bot.zalo_sim.simulator import Simulator

SEND_URL = "/zalo-sim/openapi/v3.0/oa/message/cs"
API = "/zalo-sim/api"
TOKEN = "sim-access-0"


class WebhookInbox:
    """Stands in for the bot's webhook: keeps each raw request and answers `status_code`."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.status_code = 200

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status_code, json={"ok": True})

    def events(self, event_name: str | None = None) -> list[dict]:
        bodies = [json.loads(request.content) for request in self.requests]
        return [body for body in bodies if event_name is None or body["event_name"] == event_name]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings() -> Settings:
    return Settings(webhook_url="http://bot.test/webhooks/zalo/webhook", retry_schedule=(0.05, 0.05))


@pytest.fixture
def inbox() -> WebhookInbox:
    return WebhookInbox()


@pytest.fixture
def sim(settings: Settings, inbox: WebhookInbox) -> Simulator:
    return Simulator(settings, transport=httpx.MockTransport(inbox.handle))


@pytest.fixture
async def client(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.delenv("ZALO_APP_ID", raising=False)
    app = create_app()
    app.dependency_overrides[get_simulator] = lambda: sim
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim.test") as client:
        yield client
    sim.webhook.reset()


@pytest.fixture
def make_citizen(client: httpx.AsyncClient) -> Callable[..., Awaitable[dict]]:
    """Creates a citizen through the page API; by default they have just written to the OA."""

    async def make(display_name: str = "Nguyễn Văn An", *, says: str | None = "Xin chào") -> dict:
        response = await client.post(f"{API}/citizens", json={"display_name": display_name})
        assert response.status_code == 201, response.text
        citizen = response.json()
        if says is not None:
            sent = await client.post(f"{API}/citizens/{citizen['user_id']}/messages", json={"text": says})
            assert sent.status_code == 201, sent.text
        return citizen

    return make


@pytest.fixture
def send_cs(client: httpx.AsyncClient) -> Callable[..., Awaitable[httpx.Response]]:
    """Calls `POST v3.0/oa/message/cs` the way the connector does."""

    async def send(user_id: str, text: str = "Dạ, UBND xin trả lời.", *, token: str | None = TOKEN) -> httpx.Response:
        headers = {"access_token": token} if token is not None else {}
        body = {"recipient": {"user_id": user_id}, "message": {"text": text}}
        return await client.post(SEND_URL, json=body, headers=headers)

    return send

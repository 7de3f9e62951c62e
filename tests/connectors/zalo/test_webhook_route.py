"""Zalo's webhook on the web process: stored and acknowledged at once, whatever the bot does."""
from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from sqlalchemy import create_engine, select

from bot.db import zalo_event
from bot.migrate import upgrade
from connectors.zalo.gateway import ZaloGateway
from connectors.zalo.settings import ZaloSettings
from processes.web import create_app, wire_zalo
from tests.connectors.zalo.conftest import fixture_body, signed

SETTINGS = ZaloSettings("sim-app", "s", "sim-oa-secret", "a", "r", "http://zalo.test", "http://oauth.test")


def _app(engine, rasa_delay: float = 0.0):
    app = create_app()
    gateway = ZaloGateway(SETTINGS, engine, rasa_url="http://rasa.test")

    async def slow_rasa(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(rasa_delay)
        return httpx.Response(200, json={"messages": [{"text": "Đã nhận"}]})

    gateway.turns._http = httpx.AsyncClient(transport=httpx.MockTransport(slow_rasa))
    wire_zalo(app, gateway)
    return app


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://web.test")


def test_a_signed_event_is_stored_and_acknowledged_before_the_bot_answers(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    engine = create_engine(url)
    app = _app(engine, rasa_delay=2.0)
    raw = fixture_body("user_send_text")

    async def go():
        async with _client(app) as client:
            started = time.perf_counter()
            response = await client.post("/webhooks/zalo/webhook", content=raw, headers=signed(raw))
            return response, time.perf_counter() - started

    response, elapsed = asyncio.run(go())
    assert response.status_code == 200 and response.json() == {"status": "accepted"}
    assert elapsed < 1.0  # the bot takes 2 s; Zalo did not wait for it
    with engine.connect() as conn:
        assert conn.execute(select(zalo_event.c.event_name)).scalars().all() == ["user_send_text"]


def test_a_wrong_signature_is_refused_and_nothing_stored(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    engine = create_engine(url)
    raw = fixture_body("user_send_text")

    async def go():
        async with _client(_app(engine)) as client:
            return await client.post("/webhooks/zalo/webhook", content=raw, headers=signed(raw, key="wrong"))

    assert asyncio.run(go()).status_code == 401
    with engine.connect() as conn:
        assert conn.execute(select(zalo_event)).first() is None


def test_a_database_that_is_away_gives_503_so_zalo_delivers_again(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")
    raw = fixture_body("user_send_text")

    async def go():
        async with _client(_app(engine)) as client:
            return await client.post("/webhooks/zalo/webhook", content=raw, headers=signed(raw))

    response = asyncio.run(go())
    assert response.status_code == 503
    assert "database" in response.json()["error"]

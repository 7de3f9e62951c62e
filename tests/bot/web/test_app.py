from __future__ import annotations

import httpx
import pytest

from bot.web.app import create_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def in_process(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://web.test")


async def test_health_answers_ok():
    async with in_process(create_app()) as client:
        assert (await client.get("/health")).json() == {"status": "ok"}


@pytest.mark.parametrize(("zalo_app_id", "served"), [(None, True), ("3608465249", False)])
async def test_the_simulator_is_served_only_without_a_real_zalo_app(monkeypatch, zalo_app_id, served):
    if zalo_app_id is None:
        monkeypatch.delenv("ZALO_APP_ID", raising=False)
    else:
        monkeypatch.setenv("ZALO_APP_ID", zalo_app_id)

    async with in_process(create_app()) as client:
        page = await client.get("/zalo-sim/")
        send = await client.post("/zalo-sim/openapi/v3.0/oa/message/cs", json={})
        health = await client.get("/health")

    assert (page.status_code, send.status_code) == ((200, 200) if served else (404, 404))
    assert health.status_code == 200

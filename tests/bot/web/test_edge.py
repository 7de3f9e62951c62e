"""Issue 17: what every response of the web process carries and refuses, whatever the route.

Ids beyond 64 bits (they gave 500 on seven routes), security headers on every response (static
files and errors too), no /docs or /openapi.json, a Vietnamese page for an unknown URL, and a
webhook body capped before it is read.
"""
from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi.routing import APIRoute

from bot.handoff.staff import EDITOR
from bot.web.edge import SECURITY_HEADERS
from bot.web.pages import PageRoute
from connectors.zalo.webhook import BODY_LIMIT
from tests.bot.web.conftest import PASSWORD, Actor
from tests.connectors.zalo.conftest import fixture_body, signed

HUGE = str(2**64)


@pytest.fixture(scope="module")
def world(inbox):
    member = inbox.directory.create(f"{inbox.prefix}.bt", "Đỗ Thu Hà", PASSWORD, EDITOR)
    token, csrf = inbox.directory.start_session(member)
    inbox.actors["editor"] = Actor(member, token, csrf)
    return inbox


def _role_for(path: str) -> str:
    return "admin" if path.startswith("/quan-tri") else "editor" if path.startswith("/bien-tap") else "officer"


def _id_routes(app) -> list[tuple[str, str]]:
    """(method, URL) of every page route taking an integer id, with an id beyond 64 bits."""
    from fastapi.dependencies.utils import get_flat_dependant

    found = []
    for route in app.routes:
        if not isinstance(route, APIRoute) or not isinstance(route, PageRoute):
            continue
        flat = get_flat_dependant(route.dependant)
        ints = [f for f in (*flat.path_params, *flat.query_params) if getattr(f, "type_", None) is int]
        if not ints:
            continue
        path = route.path
        query = []
        for field in flat.path_params:
            path = path.replace("{" + field.alias + "}", HUGE if field in ints else "khai_sinh")
        query = [f"{f.alias}={HUGE}" for f in flat.query_params if f in ints]
        url = path + ("?" + "&".join(query) if query else "")
        for method in route.methods:
            found.append((method, url))
    return found


def test_ids_beyond_64_bits_are_404_on_every_route(world):
    routes = _id_routes(world.app)
    assert len(routes) >= 7
    for method, url in routes:
        actor = world[_role_for(url)]
        response = world.get(actor, url) if method == "GET" else world.post(actor, url, {})
        assert response.status_code == 404, (method, url, response.status_code)
        assert "Không" in response.text


def test_a_normal_id_that_names_nothing_is_still_the_routes_own_404(world):
    response = world.get(world["officer"], "/inbox/tickets/999999999")
    assert response.status_code == 404 and "Không có yêu cầu này" in response.text


@pytest.mark.parametrize("path", ["/static/inbox.css", "/khong-co-trang-nay", "/dang-nhap", "/inbox/",
                                  "/health", "/webhooks/zalo/webhook"])
def test_every_response_carries_the_security_headers(world, path):
    response = world.get(None, path)  # GET on the webhook: 405 from the router itself
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (path, name)


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"])
def test_api_documentation_is_not_served(world, path):
    assert world.get(world["admin"], path).status_code == 404


def test_an_unknown_url_gets_a_vietnamese_page(world):
    response = world.get(None, "/khong-co-trang-nay")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "Không có trang này" in response.text and "Not Found" not in response.text
    api = world.get(world["officer"], "/inbox/api/khong-co")
    assert api.status_code == 404 and api.json() == {"error": "Không có trang này. Hãy kiểm tra lại địa chỉ hoặc quay về trang chính."}


def test_a_webhook_body_over_the_limit_is_refused_before_it_is_read(world):
    """Issue 17: a 200 MB unsigned body was read and parsed before the signature check."""
    consumed = []

    async def stream():
        for _ in range(200 * 1024 // 64):  # 200 MB in 64 KB chunks, if it were all read
            consumed.append(1)
            yield b" " * 65536

    async def go():
        async with world.client() as client:
            declared = await client.post("/webhooks/zalo/webhook", content=b"{}",
                                         headers={"Content-Length": str(200 * 2**20)})
            streamed = await client.post("/webhooks/zalo/webhook", content=stream())
            return declared, streamed

    declared, streamed = asyncio.run(go())
    assert declared.status_code == 413 and streamed.status_code == 413
    assert len(consumed) <= BODY_LIMIT // 65536 + 2


def test_the_largest_zalo_text_fits_the_body_limit():
    """2,000 characters, each a JSON-escaped surrogate pair, signed and stored as usual."""
    raw = fixture_body("user_send_text", message={"text": "😀" * 2000}).replace("😀".encode(), b"\\ud83d\\ude00")
    assert len(raw) < BODY_LIMIT and signed(raw)


def test_admins_see_the_parked_zalo_events(world, db_engine):
    from sqlalchemy import delete, insert

    from bot.db import utc_now, zalo_event

    key = f"user_send_text:{world.prefix}-dead"
    with db_engine.begin() as conn:
        conn.execute(insert(zalo_event).values(
            event_key=key, event_name="user_send_text", user_id=f"{world.prefix}-9", body="{}", received_at=utc_now(),
            attempts=5, last_error="RuntimeError: <b>the turn failed</b>", dead_at=utc_now()))
    try:
        page = world.get(world["admin"], "/quan-tri/su-co")
        assert page.status_code == 200 and "Tin nhắn Zalo không xử lý được" in page.text
        assert f"{world.prefix}-9" in page.text and "RuntimeError: &lt;b&gt;the turn failed&lt;/b&gt;" in page.text
        assert world.get(world["officer"], "/quan-tri/su-co").status_code == 403
    finally:
        with db_engine.begin() as conn:
            conn.execute(delete(zalo_event).where(zalo_event.c.event_key == key))

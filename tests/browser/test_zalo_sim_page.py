"""The simulator's chat page driven in Chromium, against a tiny fake bot behind the webhook."""
from __future__ import annotations


import httpx
import pytest
from fastapi import BackgroundTasks, FastAPI, Request

from bot.web.app import create_app
from bot.zalo_sim.dependencies import get_simulator
from bot.zalo_sim.settings import Settings
from bot.zalo_sim.simulator import Simulator
from connectors.zalo.signature import verify_signature
from tests.browser.chromium import SCREENSHOTS, launch, oa_messages, require_chromium
from tests.browser.conftest import bind_free_port

SCREENSHOT = SCREENSHOTS / "zalo_sim.png"
SETTINGS = Settings(retry_schedule=(0.2, 0.5))


def fake_bot(sim_url: str, received: list[dict]) -> FastAPI:
    """Answers each user_send_text through the simulator's OA API with numbered choices, as the bot does."""
    bot = FastAPI()

    async def reply(user_id: str, text: str) -> None:
        answer = f"Dạ, về câu hỏi «{text}», anh/chị chọn:\n1. Làm căn cước lần đầu\n2. Cấp lại căn cước"
        async with httpx.AsyncClient(base_url=sim_url) as client:
            response = await client.post(
                "/zalo-sim/openapi/v3.0/oa/message/cs",
                json={"recipient": {"user_id": user_id}, "message": {"text": answer}},
                headers={"access_token": SETTINGS.initial_access_token},
            )
        assert response.json()["error"] == 0, response.text

    @bot.post("/webhooks/zalo/webhook")
    async def webhook(request: Request, background: BackgroundTasks) -> dict[str, bool]:
        raw = await request.body()
        event = await request.json()
        event["_signed"] = verify_signature(
            request.headers.get("X-ZEvent-Signature"), SETTINGS.app_id, raw, event["timestamp"], SETTINGS.oa_secret_key
        )
        received.append(event)
        if event["event_name"] == "user_send_text":
            background.add_task(reply, event["sender"]["id"], event["message"]["text"])
        return {"ok": True}

    return bot


def test_a_citizen_chats_with_the_bot_and_an_officer_steps_in(serve, monkeypatch):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.delenv("ZALO_APP_ID", raising=False)
    sim_socket, sim_url = bind_free_port()
    bot_socket, bot_url = bind_free_port()
    received: list[dict] = []
    sim = Simulator(Settings(webhook_url=f"{bot_url}/webhooks/zalo/webhook", retry_schedule=SETTINGS.retry_schedule))
    app = create_app()
    app.dependency_overrides[get_simulator] = lambda: sim

    with serve(fake_bot(sim_url, received), bot_socket), serve(app, sim_socket), sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="vi-VN")
        page.goto(f"{sim_url}/zalo-sim/")

        page.get_by_test_id("new-citizen-name").fill("Nguyễn Thị Mai")
        page.get_by_test_id("new-citizen-submit").click()
        expect(page.get_by_test_id("citizen-name")).to_contain_text("Nguyễn Thị Mai")
        expect(page.get_by_test_id("citizen-item")).to_contain_text("Nguyễn Thị Mai")

        page.get_by_test_id("follow-button").click()
        expect(page.get_by_test_id("follow-button")).to_have_text("Đã quan tâm")

        page.get_by_test_id("message-input").fill("Cho hỏi làm căn cước cho con ở đâu?")
        page.get_by_test_id("send-button").click()
        mine = page.locator('[data-testid="message"][data-direction="citizen"]')
        expect(mine.get_by_test_id("message-text")).to_have_text("Cho hỏi làm căn cước cho con ở đâu?")
        reply = oa_messages(page).last
        expect(reply).to_contain_text("1. Làm căn cước lần đầu", timeout=10_000)
        # innerText follows the rendering: the choices only come out as lines if they are shown as lines.
        lines = reply.get_by_test_id("message-text").inner_text().splitlines()
        assert lines[1:] == ["1. Làm căn cước lần đầu", "2. Cấp lại căn cước"]

        page.get_by_test_id("sticker-button").click()
        page.locator('[data-testid="sticker-option"][data-sticker-id="cam-on"]').click()
        expect(mine.last.locator("img.sticker")).to_be_visible()

        page.get_by_test_id("officer-input").fill("Chào chị Mai, tôi là cán bộ tư pháp, tôi hỗ trợ chị nhé.")
        page.get_by_test_id("officer-send-button").click()
        from_officer = page.locator('[data-testid="message"][data-from-admin="true"]')
        expect(from_officer).to_contain_text("tôi là cán bộ tư pháp")
        expect(page.locator('[data-testid="officer-message"][data-from-admin="true"]')).to_contain_text("cán bộ tư pháp")
        expect(page.get_by_test_id("webhook-status")).to_contain_text("HTTP 200")

        page.screenshot(path=str(SCREENSHOT), full_page=True)
        browser.close()

    names = [event["event_name"] for event in received]
    assert names[:2] == ["follow", "user_send_text"]
    assert {"user_send_sticker", "oa_send_text"} <= set(names)
    assert all(event["_signed"] for event in received)
    echoes = [event for event in received if event["event_name"] == "oa_send_text"]
    assert [("admin_id" in event["sender"]) for event in echoes] == [False, True]

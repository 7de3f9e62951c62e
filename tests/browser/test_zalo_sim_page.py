"""The simulator's chat page driven in Chromium, against a tiny fake bot behind the webhook."""
from __future__ import annotations


import httpx

from tests.browser.sim_bot import SETTINGS, simulator_with_bot
from tests.browser.chromium import SCREENSHOTS, launch, oa_messages, require_chromium

SCREENSHOT = SCREENSHOTS / "zalo_sim.png"


def numbered_reply(sim_url: str):
    """Answers each text through the simulator's OA API with numbered choices, as the bot does."""
    async def reply(user_id: str, text: str) -> None:
        answer = f"Dạ, về câu hỏi «{text}», anh/chị chọn:\n1. Làm căn cước lần đầu\n2. Cấp lại căn cước"
        async with httpx.AsyncClient(base_url=sim_url) as client:
            response = await client.post(
                "/zalo-sim/openapi/v3.0/oa/message/cs",
                json={"recipient": {"user_id": user_id}, "message": {"text": answer}},
                headers={"access_token": SETTINGS.initial_access_token},
            )
        assert response.json()["error"] == 0, response.text

    return reply


def test_a_citizen_chats_with_the_bot_and_an_officer_steps_in(serve, monkeypatch):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.delenv("ZALO_APP_ID", raising=False)
    with simulator_with_bot(serve, numbered_reply) as (sim_url, received), sync_playwright() as playwright:
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

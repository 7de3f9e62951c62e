"""The whole hand-off journey in Chromium, against the real stack (Rasa with the trained model,
the action server, the web process with the Zalo gateway, simulator and officers' inbox).

A citizen in the Zalo simulator asks what the bot does not cover -> the bot says who answers and
when -> the ticket appears in that department's inbox without a reload -> an officer claims it and
replies -> the citizen sees the reply -> the officer resolves it -> the bot answers the same
citizen's next FAQ question again.
"""
from __future__ import annotations

import re

import pytest

from tests.browser.chromium import SCREENSHOTS, launch, log_in, new_citizen, oa_messages

pytestmark = pytest.mark.model


CITIZEN_NAME = "Trần Văn Hùng"
# Not in the FAQs: khai_sinh excludes "sinh ở nước ngoài"; its words route it to Tư pháp – Hộ tịch.
UNCOVERED = "con tôi sinh ở nước ngoài thì đăng ký khai sinh thế nào"
DEPARTMENT_CODE, DEPARTMENT_NAME = "tu_phap_ho_tich", "Tư pháp – Hộ tịch"
# when_phrase() (bot/handoff/office_hours.py) depends on the clock; one of these is always there.
WHEN = re.compile(r"trong giờ làm việc|chậm nhất \d{1,2}h\d{2}|khi bộ phận làm việc trở lại, từ \d{1,2}h\d{2}")
OFFICER_REPLY = ("Chào anh Hùng, con sinh ở nước ngoài thì anh đăng ký khai sinh tại Tư pháp – Hộ tịch xã, "
                 "mang theo giấy chứng sinh do nước ngoài cấp (đã hợp pháp hóa lãnh sự) và bản dịch ạ.")
FAQ_QUESTION = "cho hoi lam can cuoc cho con 10 tuoi o dau"
QUEUE_TIMEOUT_MS = 15_000  # the queue polls every 4 s
BOT_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def officer(engine):
    from bot.handoff.staff import OFFICER, StaffDirectory

    username, password = "tuphap-hung", "mat-khau-tu-phap-2025"
    StaffDirectory(engine).create(username, "Lê Thị Hoa", password, OFFICER, DEPARTMENT_CODE)
    return username, password


def test_a_question_the_bot_does_not_cover_goes_to_an_officer_and_back_to_the_bot(stack, engine, officer, kb):
    from playwright.sync_api import expect, sync_playwright

    from bot.handoff.departments import Departments
    from bot.handoff.tickets import TicketDesk

    desk = TicketDesk(engine, Departments(engine))
    faq_answer = kb.render_answer("can_cuoc_tre_em")
    web = stack.web_url

    with sync_playwright() as playwright:
        browser = launch(playwright)
        # Two contexts: the citizen's Zalo app and the officer's browser keep separate cookies.
        citizen = browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN").new_page()
        inbox = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN").new_page()
        try:
            # The officer logs in and watches the department's queue before anything arrives.
            log_in(inbox, web, *officer)
            inbox.wait_for_url(f"{web}/inbox/")
            expect(inbox.locator("h1")).to_have_text(DEPARTMENT_NAME)
            expect(inbox.locator("[data-queue-count]")).to_have_text("0")
            inbox.evaluate("window.__marker = 1")

            # The citizen opens the simulator, follows the OA and is welcomed by the bot.
            citizen.goto(f"{web}/zalo-sim/")
            user_id = new_citizen(citizen, CITIZEN_NAME, BOT_TIMEOUT_MS)
            from_oa = oa_messages(citizen)

            # ... asks what the bot does not cover: told who will answer, and when.
            citizen.get_by_test_id("message-input").fill(UNCOVERED)
            citizen.get_by_test_id("send-button").click()
            expect(citizen.locator('[data-testid="message"][data-direction="citizen"]').last).to_contain_text(UNCOVERED)
            expect(from_oa).to_have_count(2, timeout=BOT_TIMEOUT_MS)
            told = from_oa.nth(1).get_by_test_id("message-text").text_content()
            assert DEPARTMENT_NAME in told and "cán bộ" in told, told
            assert WHEN.search(told), told
            held = desk.open_for(user_id)
            assert held is not None and held.department_code == DEPARTMENT_CODE and held.question == UNCOVERED

            # The ticket appears in the officer's queue by itself: no reload, no navigation.
            row = inbox.locator(f'tbody[data-queue-rows] tr[data-id="{held.id}"]')
            expect(row).to_be_visible(timeout=QUEUE_TIMEOUT_MS)
            assert inbox.evaluate("window.__marker") == 1, "the queue page was reloaded"
            expect(row).to_contain_text(CITIZEN_NAME)
            expect(row).to_contain_text(UNCOVERED)
            expect(row.locator(".q-holder")).to_contain_text("Chưa ai nhận")
            expect(inbox.locator("[data-queue-count]")).to_have_text("1")
            expect(inbox.locator("[data-new-banner]")).to_have_text("Có 1 yêu cầu mới.")

            # The officer opens it, claims it and replies.
            row.locator("a.rowlink").click()
            inbox.wait_for_url(f"{web}/inbox/tickets/{held.id}")
            expect(inbox.locator(".conversation")).to_contain_text(told)
            inbox.locator("section.actions").get_by_role("button", name="Nhận xử lý").click()
            expect(inbox.locator(".alert.ok")).to_have_text("Bạn đã nhận xử lý yêu cầu này.")
            reply_box = inbox.locator("textarea#reply-text")
            expect(reply_box).to_be_enabled()
            reply_box.fill(OFFICER_REPLY)
            inbox.get_by_role("button", name="Gửi qua Zalo").click()
            expect(inbox.locator(".alert.ok")).to_have_text("Đã gửi tới công dân qua Zalo.")
            expect(inbox.locator(".conversation .msg.from-officer")).to_contain_text(OFFICER_REPLY)

            # The citizen sees the officer's reply in the Zalo app.
            expect(from_oa).to_have_count(3, timeout=BOT_TIMEOUT_MS)
            officer_said = from_oa.nth(2).get_by_test_id("message-text").text_content()
            # signed, so the citizen knows a person answers (data/unit.yml signature)
            assert officer_said.startswith(OFFICER_REPLY), officer_said
            assert officer_said.rstrip().endswith(f"Cán bộ Lê Thị Hoa – {DEPARTMENT_NAME}"), officer_said

            # The officer marks it done (accepting the confirmation); it leaves the queue.
            confirmations: list[str] = []

            def accept(dialog) -> None:
                confirmations.append(dialog.message)
                dialog.accept()

            inbox.on("dialog", accept)
            inbox.get_by_role("button", name="Đánh dấu xong").click()
            inbox.wait_for_url(re.compile(r"/inbox/\?ok=resolved"))
            assert confirmations and f"#{held.id}" in confirmations[0]
            expect(inbox.locator(".alert.ok")).to_contain_text(f"Đã đánh dấu xong yêu cầu #{held.id}")
            expect(inbox.locator(f'tr[data-id="{held.id}"]')).to_have_count(0)
            assert desk.open_for(user_id) is None

            # The citizen is told it is done, in one message naming it, with the rating question.
            expect(from_oa).to_have_count(4, timeout=BOT_TIMEOUT_MS)
            closing = from_oa.nth(3).get_by_test_id("message-text").text_content()
            assert f"Yêu cầu #{held.id} của anh/chị đã được {DEPARTMENT_NAME} giải quyết xong." in closing, closing
            assert "Hài lòng" in closing and "Chưa hài lòng" in closing, closing

            # The same citizen's next FAQ question (not a rating) is answered by the bot again.
            citizen.get_by_test_id("message-input").fill(FAQ_QUESTION)
            citizen.get_by_test_id("send-button").click()
            expect(from_oa).to_have_count(5, timeout=BOT_TIMEOUT_MS)
            first_sentence = faq_answer.split(". ", 1)[0]
            expect(from_oa.nth(4)).to_contain_text(first_sentence)
            assert from_oa.nth(4).get_by_test_id("message-text").text_content().startswith(faq_answer)
        finally:
            citizen.screenshot(path=str(SCREENSHOTS / "handoff_journey_citizen.png"), full_page=True)
            inbox.screenshot(path=str(SCREENSHOTS / "handoff_journey_inbox.png"), full_page=True)
            browser.close()

"""The editor's journey in Chromium, against the real stack (Rasa with the trained model, the
action server, the web process with the Zalo gateway, simulator, curation pages and publisher).

A citizen in the Zalo simulator asks about the office hours in words the bot does not answer ->
an editor logs in and fixes the office-hours answer (live Zalo preview and counter) -> adds the
citizen's message, taken from the unanswered groups, to that FAQ as a variant -> publishes and
watches the progress (training runs: minutes, unless the model for these inputs is cached) ->
the release is live with the gate's comparison -> a citizen asks about the office hours and gets
the new answer; the message the bot could not answer before is now answered too.
"""
from __future__ import annotations

import re
import time

import pytest

from tests.browser.chromium import SCREENSHOTS, launch, log_in, new_citizen, oa_messages

pytestmark = pytest.mark.model
FAQ_ID = "gio_lam_viec"
# Handed off by the starter model, gio_lam_viec among the candidates; the model trained with it
# added passes the real gate. A change to the training data or config can move either:
# `python bench/teach_variant.py` tries wordings and prints both.
UNANSWERED = "giờ giấc ở xã sao ạ"
# A training question of gio_lam_viec (data/faq/gio_lam_viec.yml): answered by every model.
FAQ_QUESTION = "Bộ phận một cửa của xã mở cửa từ mấy giờ đến mấy giờ?"
# The editor's fix: a sentence put before the answer's last paragraph.
ANCHOR = "Muốn chắc chắn trước khi đi"
NEW_SENTENCE = "Buổi trưa từ 11h30 đến 13h30, quầy số 1 vẫn có cán bộ trực nhận hồ sơ."
BUSY_NAMES = ("Đang chờ", "Đang huấn luyện", "Đang kiểm tra")
# training from a fresh clone (no Rasa cache; 7,100 questions, 930 of them long) and the gate, beside
# the running stack and the other test worker: ~4-7 min on 2 cores (400 s in CI); 8 min ran out once
PUBLISH_TIMEOUT_S = 15 * 60
BOT_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def editor(engine):
    from bot.handoff.staff import EDITOR, StaffDirectory

    username, password = "bientap-lan", "mat-khau-bien-tap-2025"
    StaffDirectory(engine).create(username, "Biên tập viên Lan", password, EDITOR)
    return username, password


def _decision_of(engine, sender_id: str, text: str):
    from sqlalchemy import select

    from bot.db import decision_log

    with engine.connect() as conn:
        return conn.execute(select(decision_log).where(decision_log.c.sender_id == sender_id, decision_log.c.text == text)
                            .order_by(decision_log.c.id.desc())).first()


def _ask(page, text: str, replies_before: int) -> str:
    """The citizen sends `text`; returns the bot's reply (one more message from the OA)."""
    from playwright.sync_api import expect

    from_oa = oa_messages(page)
    page.get_by_test_id("message-input").fill(text)
    page.get_by_test_id("send-button").click()
    expect(page.locator('[data-testid="message"][data-direction="citizen"]').last).to_contain_text(text)
    expect(from_oa).to_have_count(replies_before + 1, timeout=BOT_TIMEOUT_MS)
    return from_oa.nth(replies_before).get_by_test_id("message-text").text_content()


def _watch_release(page, release_id: int) -> tuple[str, list[str]]:
    """Reads the release's row until it is no longer busy: its final status, and the progress
    texts seen on the way, in order.

    The page polls every 2 s and reloads once the release is finished; while it is busy, the row
    must change without a reload (window.__marker survives).
    """
    from playwright.sync_api import Error as PlaywrightError

    read = """id => {
        const row = document.querySelector(`tr[data-release="${id}"]`);
        return row && {status: row.querySelector("[data-release-status]").textContent.trim(),
                       progress: row.querySelector("[data-release-progress]").textContent.trim(),
                       marker: window.__marker === 1};
    }"""
    page.evaluate("window.__marker = 1")
    seen: list[str] = []
    deadline = time.monotonic() + PUBLISH_TIMEOUT_S
    while True:
        try:
            now = page.evaluate(read, release_id)
        except PlaywrightError:  # the page is reloading
            now = None
        if now:
            if not seen or now["progress"] != seen[-1]:
                seen.append(now["progress"])
            if now["status"] not in BUSY_NAMES:
                return now["status"], seen
            assert now["marker"], f"the publish page reloaded while #{release_id} was still {now['status']}"
        if time.monotonic() > deadline:
            raise AssertionError(f"release #{release_id} still busy after {PUBLISH_TIMEOUT_S} s; progress seen: {seen}")
        page.wait_for_timeout(500)


def test_an_editor_fixes_an_answer_teaches_a_variant_publishes_and_the_citizen_gets_the_new_answer(stack, engine, editor, kb):
    from playwright.sync_api import expect, sync_playwright

    from bot.decision import ANSWER
    from bot.faq.editing import vn_number
    from bot.faq.knowledge_base import ANSWER_LIMIT
    from bot.faq.live import REFRESH_SECONDS

    old_answer = kb.render_answer(FAQ_ID)
    assert old_answer.count(ANCHOR) == 1 and NEW_SENTENCE not in old_answer
    new_answer = old_answer.replace(ANCHOR, f"{NEW_SENTENCE} {ANCHOR}")
    assert len(new_answer) <= ANSWER_LIMIT
    web = stack.web_url

    with sync_playwright() as playwright:
        browser = launch(playwright)
        citizen = browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN").new_page()
        page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN").new_page()
        started = time.monotonic()
        try:
            # A citizen asks about the office hours in words the bot does not answer yet.
            citizen.goto(f"{web}/zalo-sim/")
            asker = new_citizen(citizen, "Lê Thị Hoa", BOT_TIMEOUT_MS)
            reply = _ask(citizen, UNANSWERED, 1)
            assert NEW_SENTENCE not in reply and not reply.startswith(old_answer[:40]), reply
            decided = _decision_of(engine, asker, UNANSWERED)
            assert decided is not None and decided.decision != ANSWER, decided
            assert FAQ_ID in decided.candidates, decided

            # The editor logs in and opens the office-hours FAQ.
            log_in(page, web, *editor)
            page.wait_for_url(f"{web}/bien-tap/")
            page.locator(f'a[href="/bien-tap/faq/{FAQ_ID}"]').first.click()
            page.wait_for_url(f"{web}/bien-tap/faq/{FAQ_ID}")
            bubble, counter = page.locator("[data-preview]"), page.locator("[data-preview-counter]")
            expect(bubble).to_have_text(old_answer)
            expect(counter).to_have_text(f"{vn_number(len(old_answer))}/{vn_number(ANSWER_LIMIT)} ký tự")

            # ... fixes the answer: the Zalo preview and the counter follow as they type.
            answer_box = page.locator("textarea#faq-answer")
            text = answer_box.input_value()
            assert text.count(ANCHOR) == 1, text
            answer_box.fill(text.replace(ANCHOR, f"{NEW_SENTENCE} {ANCHOR}"))
            expect(bubble).to_have_text(new_answer)
            expect(counter).to_have_text(f"{vn_number(len(new_answer))}/{vn_number(ANSWER_LIMIT)} ký tự")
            page.get_by_role("button", name="Lưu", exact=True).click()
            page.wait_for_url(re.compile(rf"/bien-tap/faq/{FAQ_ID}\?tb=saved$"))
            expect(page.locator(".alert.ok")).to_have_text("Đã lưu. Bot sẽ dùng nội dung mới sau lần xuất bản tới.")
            expect(page.locator("textarea#faq-answer")).to_have_value(text.replace(ANCHOR, f"{NEW_SENTENCE} {ANCHOR}"))

            # ... finds the citizen's message among the unanswered groups and adds it to that FAQ.
            page.get_by_role("link", name="Bot chưa trả lời được").click()
            page.wait_for_url(f"{web}/bien-tap/chua-tra-loi")
            group = page.locator("article.group").filter(has_text=UNANSWERED)
            expect(group).to_have_count(1)
            expect(group.locator(".group-count")).to_have_text("1")
            group.locator("details.add-to-faq summary").click()
            group.locator('select[name="faq_id"]').select_option(FAQ_ID)
            expect(group.locator('input[name="cach_hoi"]')).to_have_count(1)
            expect(group.locator('input[name="cach_hoi"]')).to_be_checked()
            expect(group.locator('input[name="cach_hoi"]')).to_have_value(UNANSWERED)
            group.get_by_role("button", name="Thêm vào FAQ").click()
            page.wait_for_url(re.compile(r"/bien-tap/chua-tra-loi\?sap_xep=nhieu&tb=added&so=1$"))
            expect(page.locator(".alert.ok")).to_have_text("Đã thêm cách hỏi vào FAQ; 1 tin nhắn đã được đánh dấu là đã xem.")
            expect(page.locator("article.group").filter(has_text=UNANSWERED)).to_have_count(0)
            page.goto(f"{web}/bien-tap/faq/{FAQ_ID}")
            expect(page.locator("#cach-hoi .variant-text").filter(has_text=UNANSWERED)).to_have_count(1)

            # ... publishes (accepting the confirmation) and watches the progress on the page.
            confirmations: list[str] = []

            def accept(dialog) -> None:
                confirmations.append(dialog.message)
                dialog.accept()

            page.on("dialog", accept)
            page.get_by_role("navigation", name="Biên tập").get_by_role("link", name="Xuất bản", exact=True).click()
            page.wait_for_url(f"{web}/bien-tap/xuat-ban")
            expect(page.locator(".publish-box")).to_contain_text("Đang phục vụ: bot ban đầu")
            page.locator(".publish-box").get_by_role("button", name="Xuất bản").click()
            page.wait_for_url(re.compile(r"/bien-tap/xuat-ban\?tb=started&so=\d+$"))
            assert confirmations and "Xuất bản bot" in confirmations[0], confirmations
            release_id = int(page.url.rsplit("so=", 1)[1])
            expect(page.locator(".alert.ok")).to_contain_text(f"Đã bắt đầu xuất bản #{release_id}")
            row = page.locator(f'tr[data-release="{release_id}"]')
            expect(row.locator("[data-release-status]")).to_have_text(re.compile("|".join(BUSY_NAMES)))
            publish_started = time.monotonic()
            final, progress = _watch_release(page, release_id)
            publish_seconds = time.monotonic() - publish_started
            print(f"\npublish #{release_id}: {final} after {publish_seconds:.0f} s; progress seen: {progress}")
            assert len(progress) >= 2, f"the progress text never changed: {progress}"
            # "Bị từ chối" here means the gate refused the model trained with the variant (the
            # last progress text says why): see GATE_QUESTIONS.
            assert final == "Đang phục vụ", f"release #{release_id} ended {final}: {progress[-1]}"

            # Finished: the page reloads by itself and shows the release live with the gate's comparison.
            gate = row.locator("details.gate")
            expect(gate).to_be_visible(timeout=30_000)
            expect(row.locator("[data-release-status]")).to_have_text("Đang phục vụ")
            expect(page.locator(".live-badge")).to_have_count(1)  # one release serves citizens
            expect(gate.locator("summary")).to_contain_text("So sánh với bot đang phục vụ lúc đó — đạt")
            if not gate.evaluate("details => details.open"):  # open only on the newest row
                gate.locator("summary").click()
            comparison = gate.locator(".gate-table")
            expect(comparison).to_be_visible()
            expect(comparison.locator("thead")).to_contain_text("Bot đang phục vụ")
            expect(comparison.locator("thead")).to_contain_text("Bot mới")
            for label in ("Câu kiểm tra trả lời đúng", "Câu kiểm tra trả lời sai", "Số câu kiểm tra",
                          "Bot tự kiểm tra: câu hỏi mẫu trả lời đúng", "Bot tự kiểm tra: câu hỏi mẫu trả lời sai",
                          "Số câu hỏi mẫu tự kiểm tra"):
                expect(comparison.locator("tbody th").filter(has_text=re.compile(f"^{label}$"))).to_have_count(1)
            expect(gate).to_contain_text("Từ lúc bắt đầu đến khi phục vụ:")
            expect(page.locator(".publish-box")).to_contain_text(f"Đang phục vụ: bản #{release_id}")

            # The action server follows the live release within REFRESH_SECONDS.
            page.wait_for_timeout(int((REFRESH_SECONDS + 0.5) * 1000))

            # A citizen asks about the office hours and gets the fixed answer.
            citizen.goto(f"{web}/zalo-sim/")
            new_citizen(citizen, "Phạm Văn Nam", BOT_TIMEOUT_MS)
            # the answer, then the bot's "có giúp được không?" line (issue 20)
            assert _ask(citizen, FAQ_QUESTION, 1).startswith(new_answer)
            expect(oa_messages(citizen).nth(1)).to_contain_text(NEW_SENTENCE)
            # ... and the words the bot could not answer before are now answered with it.
            assert _ask(citizen, UNANSWERED, 2).startswith(new_answer)
            print(f"journey: {time.monotonic() - started:.0f} s")
        finally:
            citizen.screenshot(path=str(SCREENSHOTS / "curation_journey_citizen.png"), full_page=True)
            page.screenshot(path=str(SCREENSHOTS / "curation_journey_editor.png"), full_page=True)
            browser.close()

"""One account with two roles works the inbox and the FAQ pages; the queue's counts agree with
its rows when a request arrives, each row says how long it has waited, and the alert the person
switched on fires once for the new request (issue 18).

Needs no trained model: the web app alone on a new database.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine

from bot.handoff.departments import Departments
from bot.handoff.staff import EDITOR, LEADER, OFFICER, StaffDirectory
from bot.handoff.tickets import TicketDesk
from bot.migrate import upgrade
from bot.web import services
from bot.web.app import create_app
from tests.browser.chromium import SCREENSHOTS, launch, log_in, require_chromium
from tests.browser.conftest import bind_free_port

HOME, OTHER = "tu_phap_ho_tich", "cong_an"
PASSWORD = "mat-khau-hai-vai-tro"
QUEUE_TIMEOUT_MS = 15_000  # the queue polls every 4 s
# Records what the page asks the Notification API to show (headless Chromium shows nothing).
FAKE_NOTIFICATIONS = """
window.__shown = [];
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.__shown.push({ title, body: options && options.body }); }
  close() {}
};
"""


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'office.db'}", future=True)
    with engine.begin() as conn:
        upgrade(connection=conn)
    yield engine
    engine.dispose()


def _counts_agree(page) -> int:
    """The open list's figures against its rows: the heading, the tab, "Tất cả", the departments."""
    rows = page.locator("tbody[data-queue-rows] tr[data-id]").count()
    assert int(page.locator("[data-queue-count]").inner_text()) == rows
    assert int(page.locator('[data-tab-count="open"]').inner_text()) == rows
    assert int(page.locator('[data-dept-chip=""] .count').inner_text()) == rows
    per_department = page.locator('[data-dept-chip]:not([data-dept-chip=""]) > .count:not(.late)').all_inner_texts()
    assert sum(int(n) for n in per_department) == rows
    return rows


def test_a_two_role_account_works_the_inbox_and_the_faqs_and_the_counts_follow_the_rows(engine, serve):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    desk = TicketDesk(engine, Departments(engine))
    directory = StaffDirectory(engine)
    officer = directory.create("canbo", "Nguyễn Văn An", "mat-khau-can-bo-1", OFFICER, HOME)
    police = directory.create("ca", "Đỗ Văn Ca", "mat-khau-cong-an", OFFICER, OTHER)
    directory.create("hai", "Vũ Thị Hai", PASSWORD, [LEADER, EDITOR])
    desk.open_ticket("cd-1", "zalo", "Trích lục khai sinh làm ở đâu?", HOME, "Công dân muốn gặp cán bộ", "Trần Văn Hùng")
    desk.open_ticket("cd-2", "zalo", "Đăng ký tạm trú cần gì?", OTHER, "Trợ lý ảo chưa chắc câu trả lời", "Lê Thị Mai")
    finished = desk.open_ticket("cd-3", "zalo", "Xin bản sao giấy khai tử", HOME, "Công dân muốn gặp cán bộ").ticket
    desk.claim(finished.id, officer)
    desk.record_reply(finished.id, officer, "Dạ, anh/chị đến bộ phận một cửa ạ.", True, {})
    desk.resolve(finished.id, officer)

    app = create_app()
    app.dependency_overrides[services.engine] = lambda: engine
    sock, url = bind_free_port()
    with serve(app, sock), sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
            context.add_init_script(FAKE_NOTIFICATIONS)
            page = context.new_page()
            log_in(page, url, "hai", PASSWORD)
            page.wait_for_url(f"{url}/inbox/")
            nav = page.locator("nav.mainnav")
            expect(nav.get_by_role("link", name="Hộp thư")).to_be_visible()
            expect(nav.get_by_role("link", name="Biên tập")).to_be_visible()
            expect(page.locator(".who")).to_contain_text("Lãnh đạo")
            expect(page.locator(".who")).to_contain_text("Biên tập viên")

            # Two open requests, their figures everywhere, and how long each has waited.
            expect(page.locator("tbody[data-queue-rows] tr[data-id]")).to_have_count(2)
            assert _counts_agree(page) == 2
            expect(page.locator("thead")).to_contain_text("Chờ từ")
            for wait in page.locator("tbody[data-queue-rows] td.q-wait").all_inner_texts():
                assert re.fullmatch(r"vừa xong|\d+ phút", wait.strip()), wait

            # The alert switch, on; the page remembers it.
            page.get_by_label("Báo khi có yêu cầu mới").check()
            expect(page.locator("[data-alerts-note]")).to_contain_text("Đã bật")
            assert page.evaluate("localStorage.getItem('hopthu.bao-yeu-cau-moi')") == "1"
            page.evaluate("window.__marker = 1")

            # A request arrives: rows and every count move together, without a reload.
            arrived = desk.open_ticket("cd-4", "zalo", "Chứng thực bản sao học bạ ở đâu?", OTHER,
                                       "Công dân muốn gặp cán bộ", "Phạm Quốc Bảo").ticket
            expect(page.locator(f'tr[data-id="{arrived.id}"]')).to_be_visible(timeout=QUEUE_TIMEOUT_MS)
            expect(page.locator("[data-queue-count]")).to_have_text("3")
            assert _counts_agree(page) == 3
            assert page.evaluate("window.__marker") == 1, "the queue page was reloaded"
            expect(page.locator(f'tr[data-id="{arrived.id}"] td.q-wait')).to_have_text(re.compile(r"vừa xong|1 phút"))
            page.wait_for_function("window.__shown.length > 0", timeout=QUEUE_TIMEOUT_MS)
            assert page.evaluate("window.__shown") == [
                {"title": f"Yêu cầu mới #{arrived.id}", "body": "Của Phạm Quốc Bảo · Công an xã"}]

            # Another change refreshes the list again: the same request is not announced twice.
            desk.claim(arrived.id, police)
            expect(page.locator(f'tr[data-id="{arrived.id}"] .q-holder')).to_have_text("Đỗ Văn Ca", timeout=QUEUE_TIMEOUT_MS)
            page.wait_for_timeout(4500)
            assert len(page.evaluate("window.__shown")) == 1
            page.screenshot(path=str(SCREENSHOTS / "queue_counts_and_waiting.png"), full_page=True)

            # "Đã xong" counts what it lists.
            page.get_by_role("link", name=re.compile("Đã xong 30 ngày qua")).click()
            expect(page.locator("tbody[data-queue-rows] tr[data-id]")).to_have_count(1)
            expect(page.locator("[data-queue-count]")).to_have_text("1")
            expect(page.locator('[data-tab-count="done"]')).to_have_text("1")
            expect(page.locator('[data-dept-chip=""] .count')).to_have_text("1")

            # The same account opens the FAQ pages.
            nav.get_by_role("link", name="Biên tập").click()
            page.wait_for_url(f"{url}/bien-tap/")
            expect(page.locator("nav.curation-nav")).to_be_visible()

            page.goto(f"{url}/inbox/")
            expect(page.get_by_label("Báo khi có yêu cầu mới")).to_be_checked()
        finally:
            browser.close()

"""A leader opens "Báo cáo", switches period, sees the charts, downloads the workbook (issue 18).

Needs no trained model: the web app alone on a database with a few days of recorded activity.
"""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, insert

from bot.db import decision_log, follower_snapshot, utc_now, zalo_event
from bot.handoff.departments import Departments
from bot.handoff.staff import LEADER, OFFICER, StaffDirectory
from bot.handoff.tickets import TicketDesk
from bot.migrate import upgrade
from bot.reports import figures
from bot.reports.periods import LAST_MONTH, MONTH, period_for, vietnam_today
from bot.web import services
from bot.web.app import create_app
from tests.browser.chromium import SCREENSHOTS, launch, log_in, require_chromium
from tests.browser.conftest import bind_free_port

PASSWORD = "mat-khau-lanh-dao-1"


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'report.db'}", future=True)
    with engine.begin() as conn:
        upgrade(connection=conn)
    figures._CLOSED.clear()
    yield engine
    engine.dispose()


def _activity(engine) -> None:
    """Three days of messages and decisions, two tickets (one answered and resolved), followers."""
    now = utc_now()
    with engine.begin() as conn:
        for day in range(3):
            at = now - timedelta(days=day, hours=1)
            for n in range(5 + day):
                user = f"cd-{day}-{n % 3}"
                conn.execute(insert(zalo_event).values(event_key=f"user_send_text:{day}:{n}", event_name="user_send_text",
                                                       user_id=user, body="{}", received_at=at))
                conn.execute(insert(decision_log).values(
                    created_at=at, sender_id=user, channel="zalo", text="", decision="answer" if n % 4 else "handoff",
                    intent=None, faq_id=None, confidence=0.9, department=None, candidates="[]",
                    reason="answered" if n % 4 else "request_human"))
            conn.execute(insert(follower_snapshot).values(day=vietnam_today(at), num_follower=300 + day, taken_at=at))
    officer = StaffDirectory(engine).create("canbo", "Nguyễn Văn An", "mat-khau-can-bo-1", OFFICER, "tu_phap_ho_tich")
    desk = TicketDesk(engine, Departments(engine))
    opened = desk.open_ticket("cd-0-1", "zalo", "Hỏi khai sinh", "tu_phap_ho_tich", "Công dân muốn gặp cán bộ").ticket
    desk.claim(opened.id, officer)
    desk.record_reply(opened.id, officer, "Dạ", True, {})
    desk.resolve(opened.id, officer)
    desk.open_ticket("cd-1-1", "zalo", "Hỏi đất đai", "dia_chinh_xay_dung", "Trợ lý ảo chưa chắc câu trả lời")


def test_a_leader_reads_the_report_switches_period_and_downloads_the_workbook(engine, serve):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    _activity(engine)
    StaffDirectory(engine).create("lanhdao", "Phạm Thị Lan", PASSWORD, LEADER)
    app = create_app()
    app.dependency_overrides[services.engine] = lambda: engine
    sock, url = bind_free_port()
    last_month = period_for(LAST_MONTH, vietnam_today(utc_now()))
    this_month = period_for(MONTH, vietnam_today(utc_now()))
    with serve(app, sock), sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN",
                                       accept_downloads=True).new_page()
            log_in(page, url, "lanhdao", PASSWORD)
            page.get_by_role("link", name="Báo cáo", exact=True).click()

            expect(page.get_by_role("heading", level=1)).to_contain_text("Báo cáo kết quả tiếp nhận")
            charts = page.locator("svg.chart")
            expect(charts).to_have_count(4)
            assert page.locator("svg.chart rect").count() > 10  # the day bars and department bars are drawn
            assert page.locator("svg.chart polyline").count() >= 2  # bot share and followers
            expect(page.locator("#bang-bo-phan")).to_contain_text("Tư pháp – Hộ tịch")
            page.screenshot(path=str(SCREENSHOTS / "report_page.png"), full_page=True)

            page.get_by_role("link", name="Tháng trước", exact=True).click()
            expect(page.locator("#ky-bao-cao")).to_contain_text(
                f"{last_month.first:%d/%m/%Y} – {last_month.last:%d/%m/%Y}")
            page.get_by_role("link", name="Tháng này", exact=True).click()
            expect(page.locator("#ky-bao-cao")).to_contain_text(f"{this_month.first:%d/%m/%Y} – {this_month.last:%d/%m/%Y}")

            page.emulate_media(media="print")
            expect(page.locator(".period-picker")).to_be_hidden()  # the print layout keeps only the report
            page.screenshot(path=str(SCREENSHOTS / "report_print.png"), full_page=True)
            page.emulate_media(media="screen")

            with page.expect_download() as download:
                page.get_by_role("link", name="Tải báo cáo Excel").click()
            book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
        finally:
            browser.close()
    sheet = book["Báo cáo"]
    assert sheet["C1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert sheet["A6"].value == "Báo cáo kết quả tiếp nhận và trả lời ý kiến người dân qua Zalo OA"
    assert len(sheet._charts) == 4
    cells = {str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None}
    assert "Tư pháp – Hộ tịch" in cells and "Bảng 1. Tiếp nhận qua Zalo OA" in cells

"""The office's daily pages on a laptop screen (1366×768, issue 18): the FAQ editor keeps Save and
the preview in view, the conflicts page is short and says it blocks nothing, the department form
has day boxes and time inputs.

Needs no trained model: the web app alone on a seeded database. Before this change the editor was
~6,700 px tall with Save at the bottom and the conflicts page ~8,500 px for 57 pairs.
"""
from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import create_engine, insert

import bot.faq.conflicts as conflicts
from bot.db import decision_log, utc_now
from bot.faq.store import KnowledgeStore
from bot.handoff.staff import ADMIN, EDITOR, StaffDirectory
from bot.migrate import upgrade
from bot.web import services
from bot.web.app import create_app
from tests.browser.chromium import SCREENSHOTS, launch, log_in, require_chromium
from tests.browser.conftest import bind_free_port

LAPTOP = {"width": 1366, "height": 768}
EDITOR_PASSWORD = "mat-khau-bien-tap-1"
ADMIN_PASSWORD = "mat-khau-quan-tri-1"
EDITOR_MAX_HEIGHT = 2000
CONFLICTS_MAX_HEIGHT = 1500


@pytest.fixture
def engine(tmp_path, monkeypatch):
    engine = create_engine(f"sqlite:///{tmp_path / 'office.db'}", future=True)
    with engine.begin() as conn:
        upgrade(connection=conn)
    faqs = [r.faq.id for r in KnowledgeStore(engine).all()]
    pick = random.Random(3)
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < 57:  # as many pairs as the walk-through found
        pairs.add(tuple(sorted(pick.sample(faqs, 2))))
    mixups = [{"expected": a, "predicted": b, "count": pick.randint(1, 6)} for a, b in sorted(pairs)]
    monkeypatch.setattr(conflicts, "live_confusions", lambda _engine: mixups)
    with engine.begin() as conn:
        for n, (a, b) in enumerate(sorted(pairs)[:6]):
            conn.execute(insert(decision_log).values(
                created_at=utc_now(), sender_id=f"cd-{n}", channel="zalo", text=f"câu hỏi chưa rõ {n}", decision="clarify",
                intent=None, faq_id=None, confidence=0.4, department=None, candidates=json.dumps([a, b]), reason="ambiguous"))
    directory = StaffDirectory(engine)
    directory.create("bientap", "Lê Thị Biên", EDITOR_PASSWORD, EDITOR)
    directory.create("quantri", "Trần Văn Quản", ADMIN_PASSWORD, ADMIN)
    yield engine
    engine.dispose()


def _height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def test_the_editor_and_conflicts_fit_a_laptop_and_the_department_form_has_pickers(engine, serve):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    app = create_app()
    app.dependency_overrides[services.engine] = lambda: engine
    sock, url = bind_free_port()
    with serve(app, sock), sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_context(viewport=LAPTOP, locale="vi-VN").new_page()
            log_in(page, url, "bientap", EDITOR_PASSWORD)

            page.goto(f"{url}/bien-tap/faq/khai_sinh")
            save = page.get_by_role("button", name="Lưu", exact=True)
            expect(save).to_be_in_viewport()  # without scrolling
            preview = page.locator("[data-preview]")
            expect(preview).to_be_in_viewport()
            answer = page.locator("#faq-answer").bounding_box()
            assert preview.bounding_box()["x"] > answer["x"] + answer["width"]  # beside the answer
            height = _height(page)
            print(f"\nFAQ editor at 1366×768: {height} px tall (was ~6,700)")
            assert height <= EDITOR_MAX_HEIGHT
            page.mouse.wheel(0, 5000)  # at the bottom, Save is still there
            expect(save).to_be_in_viewport()
            page.locator("#cach-hoi > summary").click()
            expect(page.locator(".variant-group").first).to_be_visible()
            page.screenshot(path=str(SCREENSHOTS / "office_faq_editor.png"))

            page.goto(f"{url}/bien-tap/xung-dot")
            height = _height(page)
            print(f"conflicts page for 57 pairs: {height} px tall (was ~8,500)")
            assert height <= CONFLICTS_MAX_HEIGHT
            expect(page.locator("main")).to_contain_text("Không cặp nào chặn việc xuất bản")
            expect(page.locator("main")).not_to_contain_text("cần xử lý trước khi xuất bản")
            pairs = page.locator(".pair").count()  # the 57 mix-ups and the starter data's near-duplicate wordings
            assert pairs >= 57
            expect(page.locator(".conflict-summary")).to_contain_text(f"{pairs} cặp FAQ")
            first = page.locator(".pair").first
            first.locator("summary").click()
            expect(first.locator(".advice")).to_be_visible()
            page.screenshot(path=str(SCREENSHOTS / "office_conflicts.png"), full_page=True)

            admin = browser.new_context(viewport=LAPTOP, locale="vi-VN").new_page()
            log_in(admin, url, "quantri", ADMIN_PASSWORD)
            admin.goto(f"{url}/quan-tri/bo-phan/van_phong")
            expect(admin.locator('input[type="checkbox"][name="ngay"]')).to_have_count(7)
            expect(admin.locator('input[type="time"][name="bat_dau"]')).to_have_count(2)
            for box in admin.locator('input[name="ngay"]').all():
                box.uncheck()
            admin.get_by_role("button", name="Lưu bộ phận").click()
            expect(admin.locator(".alert.error")).to_contain_text("Hãy đánh dấu ít nhất một ngày làm việc.")
            admin.goto(f"{url}/quan-tri/ngay-nghi")
            admin.locator("#holiday-day").fill("2027-09-02")
            expect(admin.locator("#holiday-day-spelled")).to_have_text("Thứ Năm, 02/09/2027")
        finally:
            browser.close()

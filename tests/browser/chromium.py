"""Debian's Chromium for Playwright (it cannot download its own browsers here), and the steps
every journey takes: an officer logs in, a citizen follows the OA in the simulator."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import PRIVACY_NOTICE_START, unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path("/tmp")


def require_chromium() -> None:
    """Skips the test where chromium is missing, except in CI, where a missing browser fails it."""
    if CHROMIUM.exists():
        return
    unavailable(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def log_in(page, web_url: str, username: str, password: str) -> None:
    page.goto(f"{web_url}/dang-nhap")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def new_citizen(page, name: str, timeout_ms: int) -> str:
    """Creates a citizen in the simulator page (it becomes the one shown), who follows the OA and
    is welcomed; returns the citizen's Zalo id."""
    from playwright.sync_api import expect

    page.get_by_test_id("new-citizen-name").fill(name)
    page.get_by_test_id("new-citizen-submit").click()
    expect(page.get_by_test_id("citizen-name")).to_contain_text(name)
    user_id = page.get_by_test_id("citizen-item").filter(has_text=name).get_attribute("data-user-id")
    assert user_id
    page.get_by_test_id("follow-button").click()
    expect(oa_messages(page).first).to_contain_text("Chào mừng", timeout=timeout_ms)
    return user_id


def oa_messages(page):
    """The OA's messages in the simulator page, without the privacy notice sent after the first reply."""
    return page.locator('[data-testid="message"][data-direction="oa"]').filter(has_not_text=PRIVACY_NOTICE_START)

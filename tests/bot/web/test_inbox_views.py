"""The inbox's small pure helpers: redirects after log-in, canned replies, attachments, time phrases."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.handoff.departments import CannedReply, Department
from bot.handoff.office_hours import OfficeHours
from bot.handoff.tickets import ATTACHMENT, TicketEvent
from bot.web.pages import safe_next, span, vn_time, weekdays
from bot.web.views import attachment_links, fill_canned, window_panel
from connectors.zalo.window import reply_window

NOW = datetime.now(timezone.utc)


@pytest.mark.parametrize(("target", "kept"), [
    ("/inbox/tickets/3", True), ("/nhat-ky?yeu_cau=3", True),
    ("//evil.example/", False), ("/\t/evil.example", False), ("/\\evil.example", False),
    ("https://evil.example/", False), ("javascript:alert(1)", False), ("", False),
])
def test_only_local_paths_are_followed_after_log_in(target, kept):
    assert (safe_next(target) == target) is kept


def _department() -> Department:
    hours = OfficeHours.parse("1-5", "07:30-11:30, 13:30-17:00")
    return Department("tu_phap_ho_tich", "Tư pháp – Hộ tịch", hours, timedelta(hours=4), (CannedReply("a", "b"),))


def test_canned_replies_fill_known_placeholders_and_keep_the_rest():
    unit = {"center_address": "số 1 đường Trung Tâm", "office_hours": "thứ Hai đến thứ Sáu"}
    text = "Mời đến {department}, {address}, giờ {office_hours}; mã {ma_ho_so}."
    assert fill_canned(text, _department(), unit) == (
        "Mời đến Tư pháp – Hộ tịch, số 1 đường Trung Tâm, giờ thứ Hai đến thứ Sáu; mã {ma_ho_so}.")
    assert fill_canned("Dấu ngoặc lẻ { và {0}", _department(), unit) == "Dấu ngoặc lẻ { và {0}"


def _attachment(data) -> TicketEvent:
    return TicketEvent(1, 1, ATTACHMENT, None, None, "", data, NOW)


def test_attachments_link_only_to_web_addresses():
    image = attachment_links(_attachment({"type": "image", "payload": {"url": "https://f.zdn.vn/a.jpg", "thumbnail": "https://f.zdn.vn/t.jpg"}}))
    assert [(a.kind, a.label, a.url, a.thumbnail) for a in image] == [("image", "Ảnh", "https://f.zdn.vn/a.jpg", "https://f.zdn.vn/t.jpg")]
    hostile = attachment_links(_attachment({"type": "file", "payload": {"url": "javascript:alert(1)", "name": "don.pdf"}}))
    assert [(a.label, a.url) for a in hostile] == [("don.pdf", None)]
    place = attachment_links(_attachment({"attachments": [{"type": "location", "payload": {"coordinates": {"latitude": "21.03", "longitude": "105.85"}}}]}))
    assert place[0].url == "https://www.google.com/maps?q=21.03,105.85"


def test_the_reply_window_in_words():
    fresh = window_panel(reply_window(NOW - timedelta(hours=1), 2), NOW - timedelta(hours=1))
    assert fresh.state == "open" and fresh.headline.startswith("Còn 6 ngày 2") and "6/8" in fresh.free
    closing = window_panel(reply_window(NOW - timedelta(days=6, hours=21), 0), None)
    assert closing.state == "closing" and closing.headline.startswith("Còn 2 giờ") and "Sắp hết hạn" in closing.detail
    assert "48 giờ miễn phí" in closing.free
    closed = window_panel(reply_window(NOW - timedelta(days=8), 0), NOW - timedelta(days=8))
    assert closed.state == "closed" and "Đã quá 7 ngày" in closed.detail


def test_time_phrases():
    assert span(timedelta(days=2, hours=3, minutes=5)) == "2 ngày 3 giờ"
    assert span(timedelta(hours=5, minutes=20)) == "5 giờ 20 phút"
    assert span(timedelta(seconds=30)) == "dưới 1 phút"
    assert vn_time(datetime(2026, 12, 1, 1, 30, tzinfo=timezone.utc)) == "01/12/2026 08:30"
    assert weekdays(frozenset({1, 2, 3, 4, 5})) == "thứ Hai – thứ Sáu" and weekdays(frozenset({1, 3})) == "thứ Hai, thứ Tư"

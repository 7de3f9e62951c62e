"""Personal data through HTTP, on both databases (issue 17): an admin erases a citizen (with a
reason, audited) or downloads their copy; the audit log keeps no officer's words; citizens read
the privacy page."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, select

from bot.db import audit_log, citizen_erasure, ticket, ticket_event

REASON = "Công dân gọi điện đề nghị xóa dữ liệu"


@pytest.fixture(autouse=True)
def forget_erasures(inbox):
    """Erased tickets no longer carry the module's prefix: removed here, before the staff go."""
    yield
    with inbox.engine.begin() as conn:
        erased = conn.execute(select(ticket.c.id).where(ticket.c.citizen_id.like("erased:%"))).scalars().all()
        conn.execute(delete(ticket_event).where(ticket_event.c.ticket_id.in_(erased or [-1])))
        conn.execute(delete(ticket).where(ticket.c.id.in_(erased or [-1])))
        conn.execute(delete(citizen_erasure))


def _erase(inbox, actor, citizen: str, reason: str = REASON, confirm: str = "1"):
    return inbox.post(inbox[actor], "/quan-tri/du-lieu-ca-nhan/xoa", {"citizen_id": citizen, "reason": reason, "confirm": confirm})


def test_an_admin_erases_a_citizen_with_a_reason_and_the_audit_log_says_so(inbox):
    current = inbox.open_ticket(name="Lò Thị Hoa")
    response = _erase(inbox, "admin", current.citizen_id)
    assert response.status_code == 303 and response.headers["location"].startswith("/quan-tri/du-lieu-ca-nhan?xoa=")
    assert inbox.desk.open_for(current.citizen_id) is None
    closed = inbox.desk.get(current.id)
    assert closed.citizen_name is None and closed.question == "" and not closed.is_open
    with inbox.engine.connect() as conn:
        logged = conn.execute(select(audit_log.c.detail).where(
            (audit_log.c.action == "privacy.erase") & (audit_log.c.staff_id == inbox["admin"].staff.id))).scalars().all()
    assert len(logged) == 1 and REASON in logged[0] and current.citizen_id not in logged[0]
    page = inbox.get(inbox["admin"], response.headers["location"])
    assert "Đã xóa dữ liệu của công dân" in page.text and REASON in page.text


@pytest.mark.parametrize("reason, confirm, message", [
    (REASON, "", "Hãy đánh dấu ô xác nhận"), ("  ", "1", "Cần ghi lý do xóa dữ liệu"),
])
def test_an_erasure_without_confirmation_or_reason_is_refused_and_erases_nothing(inbox, reason, confirm, message):
    current = inbox.open_ticket()
    response = _erase(inbox, "admin", current.citizen_id, reason, confirm)
    assert response.status_code == 400 and message in response.text
    assert inbox.desk.open_for(current.citizen_id) is not None


@pytest.mark.parametrize("role", ["officer", "leader", "anonymous"])
def test_only_admins_reach_personal_data(inbox, role):
    current = inbox.open_ticket()
    assert _erase(inbox, role, current.citizen_id).status_code in (303, 403)
    assert inbox.desk.open_for(current.citizen_id) is not None
    assert inbox.get(inbox[role], "/quan-tri/du-lieu-ca-nhan").status_code in (303, 403)


def test_an_admin_downloads_a_copy_of_what_is_stored_about_a_citizen(inbox):
    current = inbox.open_ticket("Nhà tôi ở xóm 3, làm khai sinh cho cháu thế nào?")
    response = inbox.post(inbox["admin"], "/quan-tri/du-lieu-ca-nhan/ban-sao", {"citizen_id": current.citizen_id})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert "attachment" in response.headers["content-disposition"]
    copy = json.loads(response.text)
    assert copy["citizen"] == current.citizen_id
    assert copy["tickets"][0]["question"] == "Nhà tôi ở xóm 3, làm khai sinh cho cháu thế nào?"


def test_the_audit_log_records_who_replied_and_noted_but_not_the_words(inbox):
    # issue 17: admins, who may not open tickets, read officers' replies and notes in /nhat-ky
    current = inbox.open_ticket()
    officer = inbox["officer"].staff
    inbox.desk.claim(current.id, officer)
    inbox.desk.record_reply(current.id, officer, "Chị mang giấy chứng sinh bản chính tới nhé.", True, {})
    inbox.desk.add_note(current.id, officer, "Hộ này đang có tranh chấp đất")
    inbox.desk.transfer(current.id, officer, "cong_an", "Bà ấy nói chồng đang bị điều tra")
    for role in ("admin", "leader"):
        page = inbox.get(inbox[role], "/nhat-ky")
        assert page.status_code == 200 and "Trả lời công dân" in page.text and "Ghi chú nội bộ" in page.text
        assert "giấy chứng sinh" not in page.text and "tranh chấp" not in page.text and "điều tra" not in page.text


def test_citizens_read_the_privacy_page_without_logging_in(inbox, monkeypatch):
    monkeypatch.setenv("BOT_RETENTION_MONTHS", "6")
    page = inbox.get(None, "/du-lieu-ca-nhan")
    assert page.status_code == 200
    assert "Bảo vệ dữ liệu cá nhân" in page.text and "Rút lại sự đồng ý" in page.text
    assert "đang áp dụng tại đơn vị: 6 tháng" in page.text
    admin_page = inbox.get(inbox["admin"], "/quan-tri/du-lieu-ca-nhan")
    assert "<strong>6 tháng</strong>" in admin_page.text

"""One account, several roles (issue 18): an officer who also curates the FAQs, an admin who may
do everything, an officer still held to their department; the queue's counts beside its rows."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import select

from bot.db import audit_log
from bot.handoff.staff import ADMIN, EDITOR, LEADER, OFFICER, Staff
from bot.web.auth import home
from tests.bot.web.conftest import HOME, OTHER, PASSWORD, Actor

EVERY_PAGE = ["/inbox/", "/inbox/?xem=xong", f"/inbox/?department={OTHER}", "/bien-tap/", "/bien-tap/moi",
              "/bien-tap/xung-dot", "/bien-tap/chua-tra-loi", "/bien-tap/de-xuat", "/bien-tap/xuat-ban",
              "/bien-tap/tap-tin", "/bao-cao", "/nhat-ky", "/quan-tri/can-bo", "/quan-tri/bo-phan",
              "/quan-tri/ngay-nghi", "/quan-tri/su-co"]


@pytest.fixture(scope="module")
def two_roles(inbox) -> Actor:
    """An officer of Tư pháp – Hộ tịch who also curates the FAQs."""
    member = inbox.directory.create(f"{inbox.prefix}.hai", "Vũ Thị Hai", PASSWORD, [OFFICER, EDITOR], HOME)
    token, csrf = inbox.directory.start_session(member)
    return Actor(member, token, csrf)


def _audit(inbox, action: str, subject: str) -> list[str]:
    with inbox.engine.connect() as conn:
        return conn.execute(select(audit_log.c.detail).where(
            (audit_log.c.action == action) & audit_log.c.detail.like(f"%{subject}%"))).scalars().all()


def test_an_officer_who_edits_sees_the_inbox_and_the_curation_pages(inbox, two_roles):
    page = inbox.get(two_roles, "/inbox/")
    assert page.status_code == 200
    assert 'href="/inbox/"' in page.text and 'href="/bien-tap/"' in page.text and 'href="/quan-tri/"' not in page.text
    assert "Cán bộ" in page.text and "Biên tập viên" in page.text  # both roles beside the name
    assert inbox.get(two_roles, "/bien-tap/").status_code == 200
    assert inbox.get(two_roles, "/quan-tri/can-bo").status_code == 403


def test_a_second_role_does_not_widen_an_officers_department(inbox, two_roles):
    elsewhere = inbox.open_ticket("Làm căn cước gắn chip ở đâu?", department=OTHER)
    assert inbox.get(two_roles, f"/inbox/?department={OTHER}").status_code == 403
    assert inbox.get(two_roles, f"/inbox/tickets/{elsewhere.id}").status_code == 403
    assert inbox.get(two_roles, f"/inbox/api/queue?department={OTHER}").status_code == 403
    assert elsewhere.id not in {r["id"] for r in inbox.get(two_roles, "/inbox/api/queue").json()["rows"]}


@pytest.mark.parametrize("path", EVERY_PAGE)
def test_an_admin_reaches_every_page(inbox, path):
    response = inbox.get(inbox["admin"], path)
    assert response.status_code == 200, (path, response.text[:300])


def test_the_admin_ticks_roles_and_the_change_is_audited_with_it(inbox):
    member = inbox.directory.create(f"{inbox.prefix}.ba", "Đinh Văn Ba", PASSWORD, LEADER)
    url = f"/quan-tri/can-bo/{member.id}"
    page = inbox.get(inbox["admin"], url).text
    assert page.count('type="checkbox" name="role"') == 4 and 'value="leader" checked' in page

    saved = inbox.post(inbox["admin"], url, {"display_name": "Đinh Văn Ba", "role": [OFFICER, EDITOR],
                                             "department_code": HOME, "active": "1"})
    assert saved.status_code == 303
    assert inbox.directory.get(member.id).roles == {OFFICER, EDITOR}
    assert _audit(inbox, "staff.update", f"#{member.id}:") == [f"#{member.id}: Cán bộ, Biên tập viên, {HOME}, hoạt động"]

    # Refused (an officer needs a department): nothing changes, nothing is audited.
    refused = inbox.post(inbox["admin"], url, {"display_name": "Đinh Văn Ba", "role": [OFFICER, LEADER], "active": "1"})
    assert refused.status_code == 400 and "phải thuộc một bộ phận" in refused.text
    assert inbox.directory.get(member.id).roles == {OFFICER, EDITOR}
    assert len(_audit(inbox, "staff.update", f"#{member.id}:")) == 1

    none = inbox.post(inbox["admin"], url, {"display_name": "Đinh Văn Ba", "department_code": HOME, "active": "1"})
    assert none.status_code == 400 and "ít nhất một vai trò" in none.text


def test_the_admin_creates_an_account_with_two_roles(inbox):
    username = f"{inbox.prefix}.bon"
    response = inbox.post(inbox["admin"], "/quan-tri/can-bo", {
        "username": username, "display_name": "Lý Thị Bốn", "role": [LEADER, EDITOR], "department_code": "",
        "password": PASSWORD, "password_again": PASSWORD,
    })
    assert response.status_code == 303
    created = next(m for m in inbox.directory.all() if m.username == username)
    assert created.roles == {LEADER, EDITOR} and created.role_name == "Lãnh đạo, Biên tập viên"
    assert _audit(inbox, "staff.create", username) == [f"{username} (Lãnh đạo, Biên tập viên, -)"]


def test_an_admin_cannot_take_away_their_own_admin_role(inbox):
    admin = inbox["admin"]
    response = inbox.post(admin, f"/quan-tri/can-bo/{admin.staff.id}",
                          {"display_name": admin.staff.display_name, "role": [LEADER], "active": "1"})
    assert response.status_code == 400
    assert inbox.directory.get(admin.staff.id).roles == {ADMIN}


@pytest.mark.parametrize(("roles", "department", "landing", "role"), [
    ({OFFICER}, HOME, "/inbox/", OFFICER),
    ({OFFICER, EDITOR}, HOME, "/inbox/", OFFICER),
    ({EDITOR}, None, "/bien-tap/", EDITOR),
    ({LEADER, EDITOR}, None, "/inbox/", LEADER),
    ({ADMIN}, None, "/quan-tri/", LEADER),  # an admin sees tickets as a leader does
])
def test_where_a_log_in_lands_and_which_tickets_it_sees(roles, department, landing, role):
    member = Staff(1, "x", "X", frozenset(roles), department)
    assert home(member) == landing
    assert member.role == role


def test_the_queue_counts_agree_with_its_rows_and_refresh_with_them(inbox):
    leader = inbox["leader"]
    before = inbox.get(leader, "/inbox/api/queue").json()
    assert before["count"] == before["shown"] == len(before["rows"])
    assert f'data-tab-count="open">{before["count"]}<' in before["summary_html"]

    arrived = inbox.open_ticket("Xin cấp bản sao trích lục khai tử?")
    after = inbox.get(leader, f"/inbox/api/queue?version={quote(before['version'])}").json()
    assert after["changed"] and after["count"] == before["count"] + 1 == len(after["rows"])
    row = next(r for r in after["rows"] if r["id"] == arrived.id)
    assert row["waiting"] in ("vừa xong", "1 phút") and row["waiting_since"]
    assert 'data-dept-chip=""' in after["summary_html"]  # "Tất cả" and the departments, refreshed too

    page = inbox.get(leader, "/inbox/").text
    assert "Chờ từ" in page and "yêu cầu đang mở" in page
    done = inbox.get(leader, "/inbox/api/queue?xem=xong").json()
    assert done["count"] >= len(done["rows"])
    assert "đã xong trong 30 ngày qua" in done["summary_html"]

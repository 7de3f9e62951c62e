"""What officers do in the inbox, through HTTP, on both databases: log in, claim (racing),
reply through a fake Zalo, note, transfer, resolve, poll; and what is refused (CSRF, lock-out)."""
from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from sqlalchemy import select, update

from bot.db import audit_log, ticket
from bot.handoff.departments import Departments
from bot.handoff.staff import LOGIN_REFUSED, OFFICER
from bot.handoff.tickets import CLAIMED, DONE, IN_PROGRESS, REPLY_FAILED, TRANSFERRED, WAITING_CITIZEN
from tests.bot.web.conftest import HOME, OTHER, PASSWORD, Actor


async def _log_in(client, username: str, password: str, next_url: str = ""):
    page = await client.get("/dang-nhap")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    return await client.post("/dang-nhap", data={"username": username, "password": password, "login_token": token, "next": next_url})


def _claimed(inbox, role: str = "officer"):
    current = inbox.open_ticket()
    assert inbox.post(inbox[role], f"/inbox/tickets/{current.id}/claim").status_code == 303
    return current


def _set_last_citizen_message(inbox, ticket_id: int, ago: timedelta) -> None:
    with inbox.engine.begin() as conn:
        conn.execute(update(ticket).where(ticket.c.id == ticket_id).values(last_citizen_at=datetime.now(timezone.utc) - ago))


def _actions(inbox, action: str, staff_id: int) -> list[str]:
    with inbox.engine.connect() as conn:
        return conn.execute(select(audit_log.c.detail).where(
            (audit_log.c.action == action) & (audit_log.c.staff_id == staff_id))).scalars().all()


# ---- log-in
def test_log_in_opens_a_session_in_an_httponly_samesite_cookie(inbox):
    officer = inbox["officer"].staff

    async def go():
        async with inbox.client() as client:
            response = await _log_in(client, officer.username, PASSWORD, next_url="https://evil.example/")
            queue = await client.get("/inbox/")
            return response, queue

    response, queue = asyncio.run(go())
    assert response.status_code == 303 and response.headers["location"] == "/inbox/"  # a foreign `next` is ignored
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("ubnd_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert queue.status_code == 200 and officer.display_name in queue.text and "Cán bộ" in queue.text


def test_log_in_goes_back_to_the_page_asked_for(inbox):
    async def go():
        async with inbox.client() as client:
            return await _log_in(client, inbox["leader"].staff.username, PASSWORD, next_url="/nhat-ky")

    assert asyncio.run(go()).headers["location"] == "/nhat-ky"


def test_cookies_are_secure_over_https_or_when_configured(inbox, monkeypatch):
    async def login_page(base_url: str):
        async with inbox.client(base_url=base_url) as client:
            return await client.get("/dang-nhap")

    assert "Secure" in asyncio.run(login_page("https://web.test")).headers["set-cookie"]
    assert "Secure" not in asyncio.run(login_page("http://web.test")).headers["set-cookie"]
    monkeypatch.setenv("COOKIE_SECURE", "1")
    assert "Secure" in asyncio.run(login_page("http://web.test")).headers["set-cookie"]


def test_five_wrong_passwords_make_this_address_wait_with_the_same_message(inbox):
    # issue 17: the lock-out's own message and speed told who exists; every failure reads alike now
    member = inbox.directory.create(f"{inbox.prefix}.khoa", "Cán Bộ Khóa", PASSWORD, OFFICER, HOME)

    async def attempts():
        async with inbox.client() as client:
            wrong = [await _log_in(client, member.username, "sai-mat-khau-roi") for _ in range(5)]
            right = await _log_in(client, member.username, PASSWORD)
            unknown = await _log_in(client, f"{inbox.prefix}.khong-co-ai", "sai-mat-khau-roi")
            return wrong, right, unknown

    wrong, right, unknown = asyncio.run(attempts())
    assert [r.status_code for r in wrong + [right, unknown]] == [401] * 7
    assert all(LOGIN_REFUSED in r.text for r in wrong + [right, unknown])  # even the right password, for 15 minutes
    assert not any(c.startswith("ubnd_session=") for c in right.headers.get_list("set-cookie"))
    assert len(_actions(inbox, "login.failed", member.id)) == 5


def test_a_log_in_without_the_form_token_is_refused(inbox):
    response = inbox.post(None, "/dang-nhap", {"username": inbox["officer"].staff.username, "password": PASSWORD})
    assert response.status_code == 403
    assert not any(c.startswith("ubnd_session=") for c in response.headers.get_list("set-cookie"))


def test_log_out_ends_the_session(inbox):
    member = inbox["colleague"].staff
    token, csrf = inbox.directory.start_session(member)  # its own session: the shared one stays valid
    actor = Actor(member, token, csrf)
    response = inbox.post(actor, "/dang-xuat")
    assert response.status_code == 303 and response.headers["location"].startswith("/dang-nhap")
    assert inbox.get(actor, "/inbox/").status_code == 303
    assert _actions(inbox, "logout", member.id)


# ---- CSRF
@pytest.mark.parametrize("token", [None, "", "sai-ma-bao-ve"])
def test_a_post_without_the_session_csrf_token_is_refused_and_changes_nothing(inbox, token):
    current = inbox.open_ticket()
    officer = inbox["officer"]
    data = {} if token is None else {"csrf_token": token}
    responses = [
        inbox.post(officer, f"/inbox/tickets/{current.id}/claim", data, csrf=False),
        inbox.post(officer, f"/inbox/tickets/{current.id}/note", {**data, "text": "ghi chú"}, csrf=False),
        inbox.post(officer, "/dang-xuat", data, csrf=False),
        inbox.post(inbox["admin"], "/quan-tri/ngay-nghi", {**data, "day": "2099-12-29", "name": "Thử"}, csrf=False),
    ]
    assert [r.status_code for r in responses] == [403] * 4
    assert "mã bảo vệ" in responses[0].text
    after = inbox.desk.get(current.id)
    assert after.holder_id is None and len(inbox.desk.events(current.id)) == 2
    assert inbox.get(officer, "/inbox/").status_code == 200  # still signed in
    assert all(day.year != 2099 for day, _ in Departments(inbox.engine).holidays())


# ---- claim
def test_two_officers_claiming_at_once_exactly_one_wins_and_the_other_is_told_who(inbox):
    names = {inbox["officer"].staff.id: inbox["officer"].staff.display_name,
             inbox["colleague"].staff.id: inbox["colleague"].staff.display_name}
    for _ in range(3):
        current = inbox.open_ticket()

        async def race():
            async with inbox.client(inbox["officer"]) as first, inbox.client(inbox["colleague"]) as second:
                return await asyncio.gather(
                    first.post(f"/inbox/tickets/{current.id}/claim", data={"csrf_token": inbox["officer"].csrf}),
                    second.post(f"/inbox/tickets/{current.id}/claim", data={"csrf_token": inbox["colleague"].csrf}),
                )

        responses = asyncio.run(race())
        assert sorted(r.status_code for r in responses) == [303, 409]
        holder = inbox.desk.get(current.id)
        loser = next(r for r in responses if r.status_code == 409)
        assert f"{names[holder.holder_id]} đã nhận xử lý yêu cầu này trước bạn." in loser.text
        assert [e.kind for e in inbox.desk.events(current.id)].count(CLAIMED) == 1
        assert holder.status == IN_PROGRESS


# ---- reply
def test_a_reply_is_sent_through_zalo_and_shown_in_the_conversation(inbox):
    current = _claimed(inbox)
    text = "Dạ, anh/chị mang giấy chứng sinh và CCCD của cha mẹ đến Bộ phận Một cửa ạ."
    response = inbox.post(inbox["officer"], f"/inbox/tickets/{current.id}/reply", {"text": text})

    assert response.status_code == 303 and "ok=sent" in response.headers["location"]
    department = Departments(inbox.desk.engine).get(HOME).name
    signed = f"{text}\n\nCán bộ Nguyễn Văn An – {department}"  # so the citizen knows a person answers
    assert inbox.zalo.texts_to(current.citizen_id) == [signed]
    page = inbox.get(inbox["officer"], response.headers["location"]).text
    assert "Đã gửi tới công dân qua Zalo." in page
    assert re.search(r'class="msg from-officer".*?' + re.escape(text), page, re.S)
    assert "Tin miễn phí còn lại: 7/8" in page


def test_an_officer_may_sign_with_the_department_only_and_the_signature_counts_in_the_limit(inbox):
    current = _claimed(inbox)
    page = inbox.get(inbox["officer"], f"/inbox/tickets/{current.id}").text
    department = Departments(inbox.desk.engine).get(HOME).name
    assert f"Cán bộ Nguyễn Văn An – {department}" in page and 'name="chi_bo_phan"' in page
    allowed = int(re.search(r'<textarea id="reply-text"[^>]*maxlength="(\d+)"', page).group(1))
    response = inbox.post(inbox["officer"], f"/inbox/tickets/{current.id}/reply", {"text": "Dạ, đã nhận ạ.", "chi_bo_phan": "1"})
    assert response.status_code == 303
    sent = inbox.zalo.texts_to(current.citizen_id)[-1]
    assert sent.startswith("Dạ, đã nhận ạ.\n\n" + department) and "Nguyễn Văn An" not in sent
    too_long = inbox.post(inbox["officer"], f"/inbox/tickets/{current.id}/reply", {"text": "x" * 1995})
    assert too_long.status_code == 409 and "kể cả chữ ký" in too_long.text
    assert allowed < 2000 and allowed + len(f"\n\nCán bộ Nguyễn Văn An – {department}") <= 2000


def test_a_reply_zalo_refuses_is_kept_and_shown_as_failed_with_zalos_reason(inbox):
    current = _claimed(inbox)
    inbox.zalo.errors.append(-230)
    response = inbox.post(inbox["officer"], f"/inbox/tickets/{current.id}/reply", {"text": "Dạ, mời anh/chị lên xã ạ."})

    assert response.status_code == 200
    assert "Zalo từ chối tin nhắn (mã -230" in response.text
    assert re.search(r'class="msg failed".*?Dạ, mời anh/chị lên xã ạ\..*?mã -230', response.text, re.S)
    assert inbox.zalo.texts_to(current.citizen_id) == []
    failed = inbox.desk.events(current.id)[-1]
    assert failed.kind == REPLY_FAILED and failed.data["code"] == -230


def test_the_reply_window_warns_under_24_hours_before_it_closes(inbox):
    current = _claimed(inbox)
    _set_last_citizen_message(inbox, current.id, timedelta(days=6, hours=20))
    page = inbox.get(inbox["officer"], f"/inbox/tickets/{current.id}").text
    assert "window-closing" in page and "Sắp hết hạn" in page and "Còn 3 giờ" in page


def test_a_reply_after_the_7_day_window_is_refused_and_recorded(inbox):
    current = _claimed(inbox)
    _set_last_citizen_message(inbox, current.id, timedelta(days=8))
    page = inbox.get(inbox["officer"], f"/inbox/tickets/{current.id}").text
    assert "Đã hết hạn trả lời qua Zalo" in page
    assert re.search(r'<textarea id="reply-text"[^>]*disabled', page)

    response = inbox.post(inbox["officer"], f"/inbox/tickets/{current.id}/reply", {"text": "Dạ, xin lỗi vì trả lời muộn."})
    assert "đã quá 7 ngày" in response.text
    assert inbox.zalo.texts_to(current.citizen_id) == []
    failed = inbox.desk.events(current.id)[-1]
    assert failed.kind == REPLY_FAILED and failed.data["error"] == "window_closed"


def test_only_the_holder_may_reply(inbox):
    current = _claimed(inbox)
    response = inbox.post(inbox["colleague"], f"/inbox/tickets/{current.id}/reply", {"text": "Tôi trả lời thay"})
    assert response.status_code == 409 and "Nguyễn Văn An đang xử lý yêu cầu này" in response.text
    assert "Tôi trả lời thay" in response.text  # the draft is kept in the box
    assert inbox.zalo.texts_to(current.citizen_id) == []


def test_canned_replies_come_filled_from_the_unit_profile(inbox):
    current = _claimed(inbox)
    page = inbox.get(inbox["officer"], f"/inbox/tickets/{current.id}").text
    canned = re.findall(r'data-canned="([^"]*)"', page)
    assert canned and not any("{department}" in c or "{address}" in c or "{office_hours}" in c for c in canned)


# ---- notes, waiting, transfer, resolve
def test_an_internal_note_is_shown_apart_from_the_conversation(inbox):
    current = inbox.open_ticket()
    response = inbox.post(inbox["leader"], f"/inbox/tickets/{current.id}/note", {"text": "Gọi lại cho công dân chiều nay"})
    assert response.status_code == 303
    page = inbox.get(inbox["officer"], f"/inbox/tickets/{current.id}").text
    assert re.search(r'class="note".*?Ghi chú nội bộ — công dân không thấy.*?Gọi lại cho công dân chiều nay', page, re.S)
    assert inbox.zalo.texts_to(current.citizen_id) == []


def test_waiting_for_the_citizen(inbox):
    current = _claimed(inbox)
    assert inbox.post(inbox["officer"], f"/inbox/tickets/{current.id}/waiting").status_code == 303
    assert inbox.desk.get(current.id).status == WAITING_CITIZEN


def test_a_transfer_needs_a_reason_and_moves_the_ticket_out_of_the_officers_sight(inbox):
    current = _claimed(inbox)
    url = f"/inbox/tickets/{current.id}/transfer"
    refused = inbox.post(inbox["officer"], url, {"to_department": OTHER, "reason": "  "})
    assert refused.status_code == 409 and "Cần ghi lý do chuyển." in refused.text
    assert inbox.desk.get(current.id).department_code == HOME

    response = inbox.post(inbox["officer"], url, {"to_department": OTHER, "reason": "Hỏi về căn cước, thuộc công an"})
    assert response.status_code == 303 and response.headers["location"].startswith("/inbox/?ok=transferred")
    moved = inbox.desk.get(current.id)
    assert (moved.department_code, moved.holder_id) == (OTHER, None)
    assert inbox.get(inbox["officer"], f"/inbox/tickets/{current.id}").status_code == 403
    assert current.id not in {r["id"] for r in inbox.get(inbox["officer"], "/inbox/api/queue").json()["rows"]}
    assert current.id in {r["id"] for r in inbox.get(inbox["other_officer"], "/inbox/api/queue").json()["rows"]}
    page = inbox.get(inbox["other_officer"], f"/inbox/tickets/{current.id}").text
    assert "Hỏi về căn cước, thuộc công an" in page and "kind-transferred" in page
    assert inbox.desk.events(current.id)[-1].kind == TRANSFERRED


def test_resolve_closes_the_ticket_for_its_holder_only(inbox):
    current = _claimed(inbox)
    url = f"/inbox/tickets/{current.id}/resolve"
    other = inbox.post(inbox["colleague"], url)
    assert other.status_code == 409 and "Nguyễn Văn An đang xử lý yêu cầu này" in other.text

    response = inbox.post(inbox["officer"], url)
    assert response.status_code == 303 and response.headers["location"] == f"/inbox/?ok=resolved&so={current.id}"
    assert inbox.desk.get(current.id).status == DONE
    # the citizen is told, in one message naming the request, and asked one rating question
    department = Departments(inbox.desk.engine).get(HOME).name
    told = inbox.zalo.texts_to(current.citizen_id)
    assert len(told) == 1 and told[0].startswith(f"Yêu cầu #{current.id} của anh/chị đã được {department} giải quyết xong.")
    assert "1. Hài lòng\n2. Bình thường\n3. Chưa hài lòng" in told[0]
    sent = next(b for b in inbox.zalo.sent if b["recipient"]["user_id"] == current.citizen_id)
    buttons = sent["message"]["attachment"]["payload"]["buttons"]
    assert [(b["title"], b["payload"]) for b in buttons] == [("Hài lòng", "1"), ("Bình thường", "2"), ("Chưa hài lòng", "3")]
    with inbox.desk.engine.connect() as conn:
        assert conn.execute(select(ticket.c.feedback_stage).where(ticket.c.id == current.id)).scalar_one() == "rating"
    assert current.id not in {r["id"] for r in inbox.get(inbox["officer"], "/inbox/api/queue").json()["rows"]}
    assert f'data-id="{current.id}"' in inbox.get(inbox["officer"], "/inbox/?xem=xong").text
    again = inbox.post(inbox["officer"], url)
    assert again.status_code == 409 and "Yêu cầu đã đóng." in again.text


# ---- polling
def test_the_events_api_returns_only_what_is_new(inbox):
    current = inbox.open_ticket()
    first = inbox.get(inbox["officer"], f"/inbox/api/tickets/{current.id}/events").json()
    last = first["last_id"]
    assert [e["kind"] for e in first["events"]] == ["opened", "citizen"]
    assert inbox.get(inbox["officer"], f"/inbox/api/tickets/{current.id}/events?after={last}").json()["events"] == []

    inbox.desk.add_citizen_message(current.id, "Em gửi thêm <i>ảnh</i> giấy chứng sinh")
    fresh = inbox.get(inbox["officer"], f"/inbox/api/tickets/{current.id}/events?after={last}").json()
    assert [e["kind"] for e in fresh["events"]] == ["citizen"] and fresh["last_id"] > last
    assert "Em gửi thêm &lt;i&gt;ảnh&lt;/i&gt;" in fresh["html"]
    assert fresh["ticket"]["status"] == "new" and fresh["ticket"]["window"] == "open"


def test_the_queue_api_answers_unchanged_until_a_ticket_arrives(inbox):
    version = inbox.get(inbox["officer"], "/inbox/api/queue").json()["version"]
    since = f"/inbox/api/queue?version={quote(version)}"
    assert inbox.get(inbox["officer"], since).json() == {"changed": False, "version": version}

    arrived = inbox.open_ticket("Đăng ký kết hôn cần những gì?")
    body = inbox.get(inbox["officer"], since).json()
    assert body["changed"] and body["version"] != version
    row = next(r for r in body["rows"] if r["id"] == arrived.id)
    assert row["question"] == "Đăng ký kết hôn cần những gì?" and row["status_name"] == "Mới"
    assert f'data-id="{arrived.id}"' in body["html"]


# ---- administration
def test_admin_edits_holidays_and_departments_and_it_is_audited(inbox):
    admin = inbox["admin"]
    units = Departments(inbox.engine)
    assert inbox.post(admin, "/quan-tri/ngay-nghi", {"day": "2099-12-30", "name": "Ngày nghỉ thử"}).status_code == 303
    assert "Ngày nghỉ thử" in inbox.get(admin, "/quan-tri/ngay-nghi").text
    assert inbox.post(admin, "/quan-tri/ngay-nghi/2099-12-30/xoa").status_code == 303
    assert all(day.year != 2099 for day, _ in units.holidays())

    before = units.get("van_hoa_xa_hoi")
    try:
        response = inbox.post(admin, "/quan-tri/bo-phan/van_hoa_xa_hoi", {
            "name": before.name, "ngay": ["1", "2", "3", "4", "5"], "bat_dau": ["07:00", "13:30"], "ket_thuc": ["11:00", "17:00"],
            "response_hours": "2,5", "canned_title": ["Chào", ""], "canned_text": ["Dạ, {department} xin chào ạ.", ""],
        })
        assert response.status_code == 303
        changed = units.get("van_hoa_xa_hoi")
        assert changed.working_periods == "07:00-11:00, 13:30-17:00" and changed.response_time == timedelta(hours=2.5)
        assert [(c.title, c.text) for c in changed.canned_replies] == [("Chào", "Dạ, {department} xin chào ạ.")]
    finally:
        units.update_department(before.code, before.name, before.working_days, before.working_periods,
                                before.response_time.total_seconds() / 3600, list(before.canned_replies))

    for action in ("holiday.add", "holiday.remove", "department.update"):
        assert _actions(inbox, action, admin.staff.id), action
    log = inbox.get(inbox["leader"], "/nhat-ky").text
    assert "Thêm ngày nghỉ" in log and "Sửa bộ phận" in log


def test_admin_creates_an_officer_who_can_then_log_in(inbox):
    username = f"{inbox.prefix}.moi"
    response = inbox.post(inbox["admin"], "/quan-tri/can-bo", {
        "username": username, "display_name": "Cán Bộ Mới", "role": OFFICER, "department_code": HOME,
        "password": PASSWORD, "password_again": PASSWORD,
    })
    assert response.status_code == 303

    async def go():
        async with inbox.client() as client:
            return await _log_in(client, username, PASSWORD)

    assert asyncio.run(go()).headers["location"] == "/inbox/"


def test_resolving_a_request_the_channel_cannot_reach_still_closes_it_and_says_so(inbox):
    held = inbox.desk.open_ticket(inbox.citizen(), "rest", "Hỏi qua REST", HOME, "lý do").ticket
    inbox.desk.claim(held.id, inbox["officer"].staff)
    response = inbox.post(inbox["officer"], f"/inbox/tickets/{held.id}/resolve")
    assert response.status_code == 303 and response.headers["location"] == f"/inbox/?ok=resolved_untold&so={held.id}"
    assert inbox.desk.get(held.id).status == DONE
    with inbox.desk.engine.connect() as conn:
        assert conn.execute(select(ticket.c.feedback_stage).where(ticket.c.id == held.id)).scalar_one() is None
    page = inbox.get(inbox["officer"], response.headers["location"]).text
    assert "chưa nhắn báo được công dân" in page

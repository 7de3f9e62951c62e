"""Who may open which inbox and admin route: every route × every role, on both databases.

The ticket under test belongs to Tư pháp – Hộ tịch and nobody claims it here, so the officers'
actions that need the holder are refused with 409 (not 403) and nothing changes; at the end the
ticket is checked to be exactly as it was opened, apart from the notes the allowed roles left.
"""
from __future__ import annotations

import pytest

from bot.handoff.tickets import CITIZEN, NEW, NOTE, OPENED
from tests.bot.web.conftest import HOME, OTHER

ROLES = ("anonymous", "officer", "other_officer", "leader", "admin")


def expect(anonymous: int, officer: int, other_officer: int, leader: int, admin: int) -> dict[str, int]:
    return dict(anonymous=anonymous, officer=officer, other_officer=other_officer, leader=leader, admin=admin)


ADMIN_PAGE = expect(303, 403, 403, 403, 200)

# {ticket}: the ticket of HOME; {staff}: the admin's own account.
GETS = [
    ("/inbox/", expect(303, 200, 200, 200, 200)),  # an admin may do everything a leader does
    (f"/inbox/?department={HOME}", expect(303, 200, 403, 200, 200)),
    (f"/inbox/?department={OTHER}&xem=xong", expect(303, 403, 200, 200, 200)),
    ("/inbox/tickets/{ticket}", expect(303, 200, 403, 200, 200)),
    ("/inbox/tickets/987654321", expect(303, 404, 404, 404, 404)),
    ("/inbox/api/queue", expect(401, 200, 200, 200, 200)),
    ("/inbox/api/queue?xem=xong", expect(401, 200, 200, 200, 200)),
    (f"/inbox/api/queue?department={HOME}", expect(401, 200, 403, 200, 200)),
    ("/inbox/api/tickets/{ticket}/events", expect(401, 200, 403, 200, 200)),
    ("/inbox/api/tickets/{ticket}/events?after=1", expect(401, 200, 403, 200, 200)),
    ("/quan-tri/", expect(303, 403, 403, 403, 303)),
    ("/quan-tri/can-bo", ADMIN_PAGE),
    ("/quan-tri/can-bo/{staff}", ADMIN_PAGE),
    ("/quan-tri/bo-phan", ADMIN_PAGE),
    (f"/quan-tri/bo-phan/{HOME}", ADMIN_PAGE),
    ("/quan-tri/ngay-nghi", ADMIN_PAGE),
    ("/nhat-ky", expect(303, 403, 403, 200, 200)),
    ("/nhat-ky?yeu_cau={ticket}", expect(303, 403, 403, 200, 200)),
]

# Every POST carries the actor's valid CSRF token: what is tested here is the access rule.
# None: that role's request would change the ticket; it is tested in test_inbox_actions.py.
POSTS = [
    ("/inbox/tickets/{ticket}/claim", {}, expect(303, None, 403, None, None)),
    ("/inbox/tickets/{ticket}/reply", {"text": "Dạ, xin trả lời anh/chị"}, expect(303, 409, 403, 409, 409)),
    ("/inbox/tickets/{ticket}/note", {"text": "Đã xem hồ sơ"}, expect(303, 303, 403, 303, 303)),
    ("/inbox/tickets/{ticket}/transfer", {"to_department": OTHER, "reason": "Thuộc công an"}, expect(303, 409, 403, 409, 409)),
    ("/inbox/tickets/{ticket}/waiting", {}, expect(303, 409, 403, 409, 409)),
    ("/inbox/tickets/{ticket}/resolve", {}, expect(303, 409, 403, 409, 409)),
    ("/inbox/tickets/987654321/claim", {}, expect(303, 404, 404, 404, 404)),
    # Invalid on purpose: an admin gets the form back (400), nobody else gets that far.
    ("/quan-tri/can-bo", {"username": "", "password": "x"}, expect(303, 403, 403, 403, 400)),
    ("/quan-tri/can-bo/{staff}", {"display_name": "X", "role": "khong-co"}, expect(303, 403, 403, 403, 400)),
    ("/quan-tri/can-bo/{staff}/mat-khau", {"password": "a" * 12, "password_again": "b" * 12}, expect(303, 403, 403, 403, 400)),
    (f"/quan-tri/bo-phan/{HOME}", {"name": "", "working_days": "1-5", "working_periods": "07:30-11:30", "response_hours": "4"},
     expect(303, 403, 403, 403, 400)),
    ("/quan-tri/ngay-nghi", {"day": "không phải ngày", "name": "Thử"}, expect(303, 403, 403, 403, 400)),
    ("/quan-tri/ngay-nghi/2099-12-31/xoa", {}, expect(303, 403, 403, 403, 404)),
]


@pytest.fixture(scope="module")
def subject(inbox):
    """The ticket every route is tried on; its question carries markup that must come out escaped."""
    return inbox.open_ticket("Trích lục khai sinh <b>bản sao</b> làm ở đâu?")


def _url(inbox, subject, template: str) -> str:
    return template.format(ticket=subject.id, staff=inbox["admin"].staff.id)


def _check(response, role: str, expected: int) -> None:
    assert response.status_code == expected, (role, response.status_code, response.text[:300])
    if expected == 303 and role == "anonymous":
        assert response.headers["location"].startswith("/dang-nhap")
    if expected in (401, 403) and "/inbox/api/" in str(response.request.url):
        assert response.json()["error"]  # a Vietnamese sentence the page can show
    elif expected == 403:
        assert "không có quyền" in response.text.lower() or "mã bảo vệ" in response.text


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "expected"), GETS, ids=[g[0] for g in GETS])
def test_get_routes_by_role(inbox, subject, path, expected, role):
    _check(inbox.get(inbox[role], _url(inbox, subject, path)), role, expected[role])


POST_CASES = [
    pytest.param(path, data, role, expected[role], id=f"{path}-{role}")
    for path, data, expected in POSTS for role in ROLES if expected[role] is not None
]


@pytest.mark.parametrize(("path", "data", "role", "status"), POST_CASES)
def test_post_routes_by_role(inbox, subject, path, data, role, status):
    _check(inbox.post(inbox[role], _url(inbox, subject, path), data), role, status)


def test_an_admin_sees_every_department_queue(inbox, subject):
    elsewhere = inbox.open_ticket("Đăng ký tạm trú cho người thuê trọ?", department=OTHER)
    seen = {row["id"] for row in inbox.get(inbox["admin"], "/inbox/api/queue").json()["rows"]}
    assert {subject.id, elsewhere.id} <= seen


def test_each_officer_sees_only_the_own_department_queue(inbox, subject):
    elsewhere = inbox.open_ticket("Làm căn cước cho con 10 tuổi ở đâu?", department=OTHER)
    mine = {row["id"] for row in inbox.get(inbox["officer"], "/inbox/api/queue").json()["rows"]}
    theirs = {row["id"] for row in inbox.get(inbox["other_officer"], "/inbox/api/queue").json()["rows"]}
    everything = {row["id"] for row in inbox.get(inbox["leader"], "/inbox/api/queue").json()["rows"]}

    assert subject.id in mine and elsewhere.id not in mine
    assert elsewhere.id in theirs and subject.id not in theirs
    assert {subject.id, elsewhere.id} <= everything
    page = inbox.get(inbox["officer"], "/inbox/").text
    assert f'data-id="{subject.id}"' in page and f'data-id="{elsewhere.id}"' not in page


def test_pages_escape_what_citizens_wrote_and_send_security_headers(inbox, subject):
    response = inbox.get(inbox["officer"], f"/inbox/tickets/{subject.id}")
    assert "&lt;b&gt;bản sao&lt;/b&gt;" in response.text and "<b>bản sao</b>" not in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_refused_requests_changed_nothing(inbox, subject):
    current = inbox.desk.get(subject.id)
    assert (current.status, current.holder_id, current.department_code) == (NEW, None, HOME)
    kinds = [e.kind for e in inbox.desk.events(subject.id)]
    # notes only (the officer's, the leader's, the admin's: as many as the POST cases that ran in
    # this worker's copy of the module's inbox — pytest-xdist may split the module)
    assert kinds[:2] == [OPENED, CITIZEN] and set(kinds[2:]) <= {NOTE}
    assert inbox.zalo.texts_to(subject.citizen_id) == []

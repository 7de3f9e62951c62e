"""What an officer reads instead of codes: dates as dd/mm/yyyy, names instead of usernames and
department codes, actions in Vietnamese (issue 18, "the office's daily use")."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.web.names import ACTION_NAMES, NO_DEPARTMENT, action_name, audit_rows, author_name, readable_detail
from bot.web.pages import vn_date, vn_time

DEPARTMENTS = {"van_phong": "Văn phòng", "tu_phap_ho_tich": "Tư pháp – Hộ tịch", "tu_phap": "Tư pháp"}


@pytest.mark.parametrize("value, shown", [
    (datetime(2026, 12, 1, 1, 30, tzinfo=timezone.utc), "01/12/2026 08:30"),
    (datetime(2026, 12, 31, 17, 5), "01/01/2027 00:05"),  # naive = UTC, as SQLite returns it; the day turns in Vietnam
    (date(2027, 1, 1), "01/01/2027"),
    (None, "—"),
])
def test_every_moment_a_page_shows_is_dd_mm_yyyy_in_vietnam_time(value, shown):
    assert vn_time(value) == shown


def test_the_day_alone_is_the_vietnamese_day():
    assert vn_date(datetime(2026, 12, 31, 18, 0, tzinfo=timezone.utc)) == "01/01/2027"
    assert vn_date(None) == ""


@pytest.mark.parametrize("detail, shown", [
    ("canbo (Cán bộ, van_phong)", "canbo (Cán bộ, Văn phòng)"),
    ("lanhdao (Lãnh đạo, -)", f"lanhdao (Lãnh đạo, {NO_DEPARTMENT})"),
    ("#4: Cán bộ, -, hoạt động", f"#4: Cán bộ, {NO_DEPARTMENT}, hoạt động"),
    ("van_phong → tu_phap_ho_tich", "Văn phòng → Tư pháp – Hộ tịch"),  # the longer code wins over its prefix
    ("khai_sinh: phiên bản 2", "khai_sinh: phiên bản 2"),
    ("van_phong: Văn phòng; ngày 1-5; 07:30-11:30; 4 giờ", "Văn phòng: Văn phòng; thứ Hai – thứ Sáu; 07:30-11:30; 4 giờ"),
    ("07:30-11:30", "07:30-11:30"),  # a hyphen inside text is not "no department"
    ("", ""),
])
def test_audit_details_name_departments_and_say_what_a_dash_meant(detail, shown):
    assert readable_detail(detail, DEPARTMENTS) == shown


def test_authors_are_people_or_say_what_they_are():
    people = {"canbo": "Nguyễn Văn An"}
    assert author_name("canbo", people) == "Nguyễn Văn An"
    assert author_name("seed", people) == "Dữ liệu ban đầu"
    assert author_name("cli", people) == "Quản trị máy chủ (dòng lệnh)"
    assert author_name("da_xoa", people) == "da_xoa"  # an account no longer known keeps its username
    assert author_name(None, people) == "Hệ thống"


def test_every_action_the_code_writes_has_a_vietnamese_name():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "bot"
    written = set()
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r"""(?:audit\([^)]*?|_log\([^)]*?|\.log\()\s*[^"']*?["']([a-z_]+(?:\.[a-z_]+)+|login|logout)["']""", text))
    assert len(written) > 20  # the search finds the actions at all
    missing = {a for a in written if a not in ACTION_NAMES and not a.endswith((".html", ".py", ".id"))}
    assert not missing, missing
    assert action_name("kb.publish") == "Xuất bản bot"
    assert action_name("something.new") == "something.new"


def test_entries_about_an_account_name_it():
    at = datetime(2026, 12, 6, 1, 0, tzinfo=timezone.utc)
    rows = audit_rows([{"at": at, "username": "quantri", "action": "staff.update", "ticket_id": None,
                        "detail": "#4: Cán bộ, tu_phap_ho_tich, hoạt động"},
                       {"at": at, "username": "quantri", "action": "staff.password", "ticket_id": None, "detail": "#9"}],
                      {"quantri": "Trần Văn Quản"}, DEPARTMENTS, {4: "Nguyễn Văn An"})
    assert [r.detail for r in rows] == ["Nguyễn Văn An (#4): Cán bộ, Tư pháp – Hộ tịch, hoạt động", "#9"]
    assert rows[0].who == "Trần Văn Quản"


def test_audit_rows_bring_it_together():
    at = datetime(2026, 12, 6, 1, 0, tzinfo=timezone.utc)
    rows = audit_rows([{"at": at, "username": "cli", "action": "staff.create", "ticket_id": None,
                        "detail": "canbo (Cán bộ, van_phong)"}], {}, DEPARTMENTS)
    assert (rows[0].who, rows[0].action_name, rows[0].detail) == (
        "Quản trị máy chủ (dòng lệnh)", "Tạo tài khoản", "canbo (Cán bộ, Văn phòng)")

"""Who and what, in an officer's words: action names, people's names, and audit entries that say
"Văn phòng" and "Nguyễn Văn An" where the database keeps `van_phong` and `canbo`.

The audit log stores codes on purpose (a renamed department or person must not rewrite history);
they are turned into today's names only when shown.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.db import staff
from bot.handoff.office_hours import parse_days
from bot.web.pages import weekdays

ACTION_NAMES = {
    "login": "Đăng nhập", "login.failed": "Đăng nhập sai", "login.throttled": "Đăng nhập khi máy đã sai quá số lần cho phép",
    "logout": "Đăng xuất", "csrf.refused": "Từ chối thao tác thiếu mã bảo vệ",
    "staff.create": "Tạo tài khoản", "staff.update": "Sửa tài khoản", "staff.password": "Đặt mật khẩu",
    "ticket.claim": "Nhận xử lý", "ticket.reply": "Trả lời công dân", "ticket.reply_failed": "Trả lời không gửi được",
    "ticket.note": "Ghi chú nội bộ", "ticket.transfer": "Chuyển bộ phận", "ticket.waiting": "Chờ công dân",
    "ticket.resolved": "Đánh dấu xong", "ticket.cancelled_by_citizen": "Công dân báo không cần hỗ trợ",
    "department.update": "Sửa bộ phận", "holiday.add": "Thêm ngày nghỉ", "holiday.remove": "Xóa ngày nghỉ",
    "privacy.erase": "Xóa dữ liệu công dân", "privacy.export": "Tải bản sao dữ liệu công dân",
    "kb.edit": "Sửa FAQ", "kb.create": "Tạo FAQ", "kb.add_variants": "Thêm cách hỏi vào FAQ",
    "kb.retire": "Ngừng dùng FAQ", "kb.activate": "Dùng lại FAQ",
    "kb.import": "Nhập FAQ từ bảng tính", "kb.import_refused": "Bảng tính FAQ bị từ chối",
    "kb.publish": "Xuất bản bot", "kb.rollback": "Quay lại bản cũ", "kb.suggest": "Đề xuất dạy bot",
    "kb.suggestion.accept": "Nhận đề xuất", "kb.suggestion.dismiss": "Bỏ qua đề xuất",
    "kb.unanswered.added": "Thêm tin nhắn vào FAQ", "kb.unanswered.new_faq": "Tạo FAQ từ tin nhắn",
    "kb.unanswered.dismissed": "Bỏ qua tin nhắn",
    "report.month_seen": "Xem báo cáo tháng",
}
# Authors that are not people: what the data came with, and the server's command line.
SYSTEM_AUTHORS = {
    "seed": "Dữ liệu ban đầu",
    "khởi tạo": "Dữ liệu ban đầu",
    "cli": "Quản trị máy chủ (dòng lệnh)",
}
NO_DEPARTMENT = "không thuộc bộ phận nào"
NOBODY = "Hệ thống"  # an entry without a person: the bot or the server did it


def author_name(username: str | None, people: Mapping[str, str] | None = None) -> str:
    """"seed" -> "Dữ liệu ban đầu"; "canbo" -> "Nguyễn Văn An" when known; else the username."""
    if not username:
        return NOBODY
    if username in SYSTEM_AUTHORS:
        return SYSTEM_AUTHORS[username]
    return (people or {}).get(username) or username


def action_name(action: str) -> str:
    return ACTION_NAMES.get(action, action)


def people(engine: Engine) -> dict[str, str]:
    """username -> display name, for every account (locked ones too: history names them)."""
    with engine.connect() as conn:
        return {u: n for u, n in conn.execute(select(staff.c.username, staff.c.display_name)) if n}


def people_by_id(engine: Engine) -> dict[int, str]:
    """staff id -> display name: staff.update and staff.password entries name the account by "#id"."""
    with engine.connect() as conn:
        return {i: n for i, n in conn.execute(select(staff.c.id, staff.c.display_name)) if n}


# The working days an old department.update entry wrote as numbers: "ngày 1-5", "ngày 1,3,5".
_DAY_NUMBERS = re.compile(r"\bngày ([1-7](?:[-,][1-7])*)(?=;|$)")
# "#4: Cán bộ, …" or "#4": the account an entry is about, by id.
_ACCOUNT = re.compile(r"^#(\d+)(?=:|$)")
ACCOUNT_ACTIONS = {"staff.update", "staff.password"}
# A lone "-" where a department would be: "(Cán bộ, -)", "#4: Lãnh đạo, -, hoạt động".
_NO_DEPARTMENT = re.compile(r"(?<=, )-(?=[,)]|$)")


def readable_detail(detail: str, departments: Mapping[str, str]) -> str:
    """Department codes replaced by their names and "-" by words; everything else kept as written."""
    if not detail:
        return ""
    text = _NO_DEPARTMENT.sub(NO_DEPARTMENT, detail)
    text = _DAY_NUMBERS.sub(lambda m: weekdays(parse_days(m.group(1))), text)
    if departments:
        codes = sorted(departments, key=len, reverse=True)
        pattern = re.compile(r"(?<![\w])(" + "|".join(re.escape(c) for c in codes) + r")(?![\w])")
        text = pattern.sub(lambda m: departments[m.group(1)], text)
    return text


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    who: str
    username: str | None
    action: str
    action_name: str
    ticket_id: int | None
    detail: str


def account_detail(detail: str, accounts: Mapping[int, str]) -> str:
    """"#4: Cán bộ, …" -> "Nguyễn Văn An (#4): Cán bộ, …" when account 4 is known."""
    return _ACCOUNT.sub(lambda m: f"{accounts[int(m.group(1))]} (#{m.group(1)})" if int(m.group(1)) in accounts
                        else m.group(0), detail)


def audit_rows(entries: Iterable[Mapping], people_names: Mapping[str, str], departments: Mapping[str, str],
               accounts: Mapping[int, str] | None = None) -> list[AuditRow]:
    rows = []
    for e in entries:
        detail = readable_detail(e.get("detail") or "", departments)
        if accounts and e["action"] in ACCOUNT_ACTIONS:
            detail = account_detail(detail, accounts)
        rows.append(AuditRow(e["at"], author_name(e.get("username"), people_names), e.get("username"), e["action"],
                             action_name(e["action"]), e.get("ticket_id"), detail))
    return rows

"""The one catalogue of what a refused action tells an officer or admin, by error code.

Services raise coded errors (bot.handoff.errors) and never choose words; the pages render them
here, so wording is changed in one place and no caller compares message text.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.handoff.errors import CodedError, Forbidden

_Render = Callable[[Mapping[str, Any]], str]

MESSAGES: dict[str, str | _Render] = {
    # tickets
    "ticket_not_found": "Không có yêu cầu này.",
    "ticket_closed": "Yêu cầu đã đóng.",
    "ticket_changed": "Yêu cầu vừa được người khác thay đổi (chuyển, nhận hoặc đóng); hãy xem lại rồi thao tác tiếp.",
    "claim_first": "Hãy bấm “Nhận xử lý” trước.",
    "held_by_other": lambda p: f"{p.get('holder') or 'Một cán bộ khác'} đang xử lý yêu cầu này.",
    "unknown_department": "Bộ phận nhận không tồn tại.",
    "same_department": "Yêu cầu đã ở bộ phận này.",
    "reason_required": "Cần ghi lý do chuyển.",
    "empty_note": "Ghi chú trống.",
    "empty_reply": "Nội dung trả lời trống.",
    "reply_too_long": lambda p: f"Tin nhắn tối đa {p['limit']} ký tự (hiện {p['length']}).",
    "wrong_channel": lambda p: (f"Công dân hỏi qua kênh “{p['channel']}”, không gửi được tin từ hộp thư; "
                                "hãy liên hệ bằng cách khác."),
    # departments and holidays
    "name_required": "Tên bộ phận không được để trống.",
    "response_hours_range": lambda p: f"Thời hạn trả lời phải lớn hơn 0 và không quá {p['highest']:g} giờ làm việc.",
    "response_hours_not_number": "Thời hạn trả lời phải là một số giờ, ví dụ 4 hoặc 1,5.",
    "no_working_time": "Bộ phận phải có ít nhất một ngày và một khung giờ làm việc.",
    "canned_reply_incomplete": "Mỗi câu trả lời mẫu cần cả tiêu đề và nội dung.",
    "bad_working_day": lambda p: f"Ngày làm việc không hợp lệ: “{p['part']}” (thứ Hai = 1 … Chủ nhật = 7).",
    "bad_period": lambda p: f"Khung giờ không hợp lệ: “{p['part']}” (ví dụ 07:30-11:30).",
    "period_ends_before_start": lambda p: f"Khung giờ “{p['part']}” kết thúc trước khi bắt đầu.",
    "periods_overlap": "Các khung giờ chồng lên nhau.",
}

FORBIDDEN_MESSAGES: dict[str, str] = {
    "other_department": "Yêu cầu này thuộc bộ phận khác.",
    "not_teacher": "Chỉ cán bộ đã xử lý yêu cầu này và đã trả lời công dân mới đề xuất dạy bot được.",
}
FALLBACK = "Không thực hiện được thao tác này."


def message(error: CodedError) -> str:
    """The Vietnamese sentence for `error`; an error still raised with its own text shows that text."""
    if error.legacy_text is not None:
        return _sentence(error.legacy_text)
    if isinstance(error, Forbidden):
        return FORBIDDEN_MESSAGES.get(str(error.params.get("why")), FORBIDDEN_MESSAGES["other_department"])
    entry = MESSAGES.get(error.code)
    if entry is None:
        return FALLBACK
    return entry(error.params) if callable(entry) else entry


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return FALLBACK
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."

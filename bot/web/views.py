"""What the inbox pages show, shaped from the service layer's objects (no decisions made here)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.handoff.departments import Department
from bot.handoff.queue_counts import DepartmentCount, QueueCounts, waited_phrase
from bot.handoff.replying import CLOSED, CLOSING, ReplyWindow
from bot.handoff.staff import Staff
from bot.handoff.tickets import ATTACHMENT, Ticket, TicketEvent
from bot.web.pages import due_phrase, safe_url, span, templates, vn_time

QUESTION_PREVIEW = 140


@dataclass(frozen=True)
class QueueRow:
    ticket: Ticket
    department_name: str
    urgency: str  # overdue | due_soon | ""
    due_text: str
    mine: bool
    waiting_since: datetime | None = None  # since when the office owes the citizen an answer
    waiting_text: str = ""

    def as_json(self) -> dict[str, Any]:
        t = self.ticket
        return {
            "id": t.id, "citizen_name": t.citizen_name, "citizen_id": t.citizen_id,
            "question": t.question[:QUESTION_PREVIEW], "department": t.department_code,
            "department_name": self.department_name, "status": t.status, "status_name": t.status_name,
            "due_at": t.due_at.isoformat(), "due": vn_time(t.due_at), "due_text": self.due_text,
            "urgency": self.urgency, "holder_name": t.holder_name, "mine": self.mine, "url": f"/inbox/tickets/{t.id}",
            "waiting_since": self.waiting_since.isoformat() if self.waiting_since else None,
            "waiting": self.waiting_text,
        }


def queue_rows(tickets: list[Ticket], names: dict[str, Department], me: Staff,
               waits: dict[int, datetime | None] | None = None) -> list[QueueRow]:
    now = datetime.now(timezone.utc)
    waits = waits or {}
    return [
        QueueRow(t, _name(names, t.department_code), t.urgency(now),
                 due_phrase(t.due_at, now) if t.is_open else f"xong {vn_time(t.closed_at)}", t.holder_id == me.id,
                 waits.get(t.id), waited_phrase(waits[t.id], now) if waits.get(t.id) else "")
        for t in tickets
    ]


@dataclass(frozen=True)
class DepartmentChip:
    code: str
    name: str
    count: DepartmentCount


def department_chips(counts: QueueCounts, departments: list[Department]) -> list[DepartmentChip]:
    """One filter chip per department, then any department a ticket names that is no longer listed."""
    listed = {d.code for d in departments}
    chips = [DepartmentChip(d.code, d.name, counts.of([d.code])) for d in departments]
    return chips + [DepartmentChip(code, code, count) for code, count in sorted(counts.by_department.items())
                    if code not in listed]


@dataclass(frozen=True)
class WindowPanel:
    """The reply window in words: how long is left, free messages, a warning near the end."""
    state: str
    headline: str
    detail: str
    free: str


def window_panel(window: ReplyWindow, last_citizen_at: datetime | None) -> WindowPanel:
    now = datetime.now(timezone.utc)
    if window.state == CLOSED or window.closes_at is None:
        since = f" ({vn_time(last_citizen_at)})" if last_citizen_at else ""
        return WindowPanel(
            CLOSED, "Đã hết hạn trả lời qua Zalo",
            f"Đã quá 7 ngày kể từ tin nhắn cuối của công dân{since}: Zalo không cho OA gửi tin tư vấn. "
            "Hãy gọi điện cho công dân hoặc chờ công dân nhắn lại.", "")
    left = window.closes_at - now
    headline = f"Còn {span(left)} để trả lời"
    detail = f"Zalo cho phép trả lời đến {vn_time(window.closes_at)} (7 ngày sau tin nhắn cuối của công dân)."
    if window.state == CLOSING:
        detail = f"Sắp hết hạn: sau {vn_time(window.closes_at)} sẽ không gửi được tin qua Zalo nữa. Hãy trả lời ngay."
    if window.free_until and window.free_until > now:
        free = f"Tin miễn phí còn lại: {window.free_left}/8 (đến {vn_time(window.free_until)})"
    else:
        free = "Đã qua 48 giờ miễn phí: các tin tiếp theo có thể bị Zalo tính phí."
    return WindowPanel(window.state, headline, detail, free)


class _KeepUnknown(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill_canned(text: str, department: Department, unit: dict[str, str]) -> str:
    """Placeholders filled from the unit profile; unknown ones are left for the officer to see."""
    values = _KeepUnknown(unit)
    values.update(
        department=department.name,
        address=unit.get("address") or unit.get("center_address", "{address}"),
        office_hours=unit.get("office_hours", "{office_hours}"),
    )
    try:
        return text.format_map(values)
    except (ValueError, IndexError, AttributeError, KeyError):
        return text


@dataclass(frozen=True)
class AttachmentLink:
    kind: str
    label: str
    url: str | None
    thumbnail: str | None


_ATTACHMENT_LABELS = {"image": "Ảnh", "file": "Tệp", "sticker": "Nhãn dán", "gif": "Ảnh động", "audio": "Ghi âm",
                      "video": "Video", "location": "Vị trí", "link": "Liên kết"}


def attachment_links(event: TicketEvent) -> list[AttachmentLink]:
    """A citizen's attachments, as Zalo describes them ({type, payload: {url, thumbnail, name}})."""
    if event.kind != ATTACHMENT:
        return []
    data = event.data or {}
    items = data.get("attachments") if isinstance(data.get("attachments"), list) else [data]
    links = []
    for item in items:
        if not isinstance(item, dict):
            continue
        payload = item.get("payload") if isinstance(item.get("payload"), dict) else item
        kind = str(item.get("type") or payload.get("type") or "file")
        label = str(payload.get("name") or payload.get("description") or _ATTACHMENT_LABELS.get(kind, "Tệp đính kèm"))
        coordinates = payload.get("coordinates")
        url = safe_url(payload.get("url"))
        if url is None and isinstance(coordinates, dict):
            url = _map_link(coordinates)
        links.append(AttachmentLink(kind, label, url, safe_url(payload.get("thumbnail")) if kind in ("image", "gif") else None))
    return links


templates.env.globals["attachment_links"] = attachment_links


def _map_link(coordinates: dict[str, Any]) -> str | None:
    try:
        return f"https://www.google.com/maps?q={float(coordinates['latitude'])},{float(coordinates['longitude'])}"
    except (KeyError, TypeError, ValueError):
        return None


def event_json(event: TicketEvent) -> dict[str, Any]:
    return {"id": event.id, "kind": event.kind, "text": event.text, "staff_name": event.staff_name,
            "at": event.created_at.isoformat(), "time": vn_time(event.created_at)}


def ticket_state(current: Ticket, window_state: str) -> dict[str, Any]:
    """What the ticket page compares while polling, to tell the officer the ticket changed."""
    return {"status": current.status, "status_name": current.status_name, "holder_id": current.holder_id,
            "holder_name": current.holder_name, "department": current.department_code, "window": window_state}


def _name(departments: dict[str, Department], code: str) -> str:
    department = departments.get(code)
    return department.name if department else code


"""What every staff page shares: templates and their filters, error pages (the security headers: edge.py).

Routers use `PageRoute`, so a refusal raised anywhere (a dependency, the service layer) becomes
the right answer for the caller: a redirect to the log-in page or an HTML error page for a
browser, JSON for the polling API under /inbox/api/.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.dependencies.utils import get_flat_dependant
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from bot.handoff.office_hours import VIETNAM, WEEKDAYS
from bot.handoff.staff import ADMIN, EDITOR, LEADER, OFFICER, StaffError
from bot.handoff.errors import Forbidden, TicketError, TicketNotFound
from bot.web import error_messages
from bot.web.edge import MAX_ID, NOT_FOUND

logger = logging.getLogger(__name__)

API_PREFIX = "/inbox/api/"
LOGIN_PATH = "/dang-nhap"
# Fixed texts for `?ok=<code>` after a redirect: the URL names a message, never carries one.
FLASH = {
    "claimed": "Bạn đã nhận xử lý yêu cầu này.",
    "sent": "Đã gửi tới công dân qua Zalo.",
    "noted": "Đã lưu ghi chú nội bộ.",
    "waiting": "Đã chuyển sang “Chờ công dân”.",
    "transferred": "Đã chuyển yêu cầu #{so} sang bộ phận khác.",
    "resolved": "Đã đánh dấu xong yêu cầu #{so} và nhắn báo công dân, kèm câu hỏi đánh giá. Trợ lý ảo sẽ tiếp tục trò chuyện với công dân.",
    "resolved_untold": "Đã đánh dấu xong yêu cầu #{so}, nhưng chưa nhắn báo được công dân (kênh không cho gửi). Trợ lý ảo sẽ tiếp tục trò chuyện với công dân.",
    "staff_created": "Đã tạo tài khoản.",
    "staff_saved": "Đã lưu thông tin cán bộ.",
    "password_set": "Đã đặt mật khẩu mới; các phiên đăng nhập cũ của tài khoản này đã bị đăng xuất.",
    "department_saved": "Đã lưu thông tin bộ phận.",
    "holiday_added": "Đã thêm ngày nghỉ.",
    "holiday_removed": "Đã xóa ngày nghỉ.",
    "logged_out": "Bạn đã đăng xuất.",
    "report_ready": "Báo cáo tháng {so} đã sẵn sàng.",
}


class LoginRequired(Exception):
    """No valid session: browsers go to the log-in page, the polling API answers 401."""


class PageError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        flat = get_flat_dependant(self.dependant)
        id_params = tuple(f.alias for f in (*flat.path_params, *flat.query_params) if getattr(f, "type_", None) is int)

        async def guarded(request: Request) -> Response:
            try:
                if any(_beyond_any_id(request.path_params.get(name, request.query_params.get(name)))
                       for name in id_params):
                    raise PageError(404, NOT_FOUND)
                response = await handler(request)
            except LoginRequired:
                response = _login_required(request)
            except PageError as exc:
                response = error_response(request, exc.status, exc.message)
            except Forbidden as exc:
                response = error_response(request, 403, error_messages.message(exc))
            except TicketError as exc:
                status = 404 if isinstance(exc, TicketNotFound) else 409
                response = error_response(request, status, error_messages.message(exc))
            except StaffError as exc:
                response = error_response(request, 409, sentence(str(exc)))
            return response

        return guarded


def _beyond_any_id(value: Any) -> bool:
    """An integer no id column holds: the database driver would fail on it (a 500) instead of 'none'."""
    digits = str(value).strip().lstrip("+-") if value is not None else ""
    return digits.isdigit() and (len(digits) > 19 or int(digits) > MAX_ID)


def is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def error_response(request: Request, status: int, message: str) -> Response:
    if is_api(request):
        return JSONResponse({"error": message}, status_code=status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def _login_required(request: Request) -> Response:
    if is_api(request):
        return JSONResponse({"error": "Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại.", "login": LOGIN_PATH}, status_code=401)
    target = LOGIN_PATH
    if request.method == "GET":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target += "?next=" + quote(here, safe="")
    return RedirectResponse(target, status_code=303)


def sentence(text: str) -> str:
    """Service messages are clauses ("yêu cầu đã đóng"); a page shows a sentence."""
    text = text.strip()
    return full_stop(text[0].upper() + text[1:]) if text else text


def full_stop(text: str) -> str:
    text = str(text).strip()
    return text if not text or text[-1] in ".!?…" else text + "."


def safe_next(target: str | None) -> str | None:
    """A local path to go back to after logging in; anything else (//evil, https://…) is dropped."""
    # Browsers drop tabs and newlines inside URLs: "/\t/evil.example" would become "//evil.example".
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(c.isspace() or ord(c) < 32 for c in target)):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def landing(role: str) -> str:
    return {ADMIN: "/quan-tri/", EDITOR: "/bien-tap/"}.get(role, "/inbox/")


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# ---- templates
def vn_time(value: datetime | date | None) -> str:
    """The one way a page shows a moment: dd/mm/yyyy HH:MM in Vietnam time; a date alone as dd/mm/yyyy.

    A naive datetime is UTC (what the database returns on SQLite)."""
    if value is None or value == "":
        return "—"
    if not isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def vn_date(value: datetime | date | None) -> str:
    """The day only, dd/mm/yyyy (Vietnam time for a datetime)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(VIETNAM)
    return value.strftime("%d/%m/%Y")


def span(delta: timedelta) -> str:
    """A duration in words: "2 ngày 3 giờ", "5 giờ 20 phút", "12 phút"."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} ngày {hours} giờ" if hours else f"{days} ngày"
    if hours:
        return f"{hours} giờ {minutes} phút" if minutes else f"{hours} giờ"
    return f"{minutes} phút" if minutes else "dưới 1 phút"


def due_phrase(due: datetime, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return f"quá hạn {span(now - due)}" if due <= now else f"còn {span(due - now)}"


def weekdays(days: frozenset[int]) -> str:
    """{1, 2, 3, 4, 5} -> "thứ Hai – thứ Sáu"; {1, 3} -> "thứ Hai, thứ Tư"."""
    ordered = sorted(days)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{WEEKDAYS[ordered[0] - 1]} – {WEEKDAYS[ordered[-1] - 1]}"
    return ", ".join(WEEKDAYS[d - 1] for d in ordered)


def weekday_name(day: Any) -> str:
    return WEEKDAYS[day.weekday()]


def safe_url(value: Any) -> str | None:
    """Only http(s) links from a citizen's attachment are shown (no javascript: or data: URLs)."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else None


@lru_cache(maxsize=1)
def unit_name() -> str:
    from bot.faq.knowledge_base import load_knowledge_base

    try:
        return load_knowledge_base().unit.get("unit_name", "UBND")
    except Exception:  # noqa: BLE001 - a broken knowledge base must not take the inbox down
        logger.exception("unit profile unreadable")
        return "UBND"


templates = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=True, trim_blocks=True, lstrip_blocks=True,
))
templates.env.filters.update(vn_time=vn_time, vn_date=vn_date, span=span, due_phrase=due_phrase, safe_url=safe_url,
                             weekdays=weekdays, weekday_name=weekday_name, full_stop=full_stop)
templates.env.globals.update(OFFICER=OFFICER, LEADER=LEADER, ADMIN=ADMIN)


def render(request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    session = getattr(request.state, "session", None)
    me = session.staff if session else None
    flash = FLASH.get(request.query_params.get("ok", ""), "")
    if flash:
        so = request.query_params.get("so", "")
        flash = flash.format(so=so if so.isdigit() else "")
    base = {
        "me": me,
        "csrf_token": session.csrf_token if session else "",
        "unit_name": unit_name(),
        "flash": flash,
        "path": request.url.path,
        "now": datetime.now(timezone.utc),
    }
    return templates.TemplateResponse(request, name, {**base, **(context or {})}, status_code=status)


def render_fragment(name: str, **context: Any) -> str:
    """A partial template as a string, for the polling API (escaped exactly like the page)."""
    return templates.get_template(name).render(now=datetime.now(timezone.utc), **context)

"""Staff log-in: the session cookie, the dependencies every staff route uses, CSRF checks.

The cookie holds a random token (the database keeps only its hash); each session has its own
CSRF token, put in every form and compared on every POST.
"""
from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import Engine

from bot.handoff.audit import audit
from bot.handoff.staff import ADMIN, LEADER, OFFICER, ROLES, SESSION_LIFETIME, LoginRefused, Session, Staff, StaffDirectory
from bot.reports.schedule import unseen_month
from bot.web import services
from bot.web.pages import LOGIN_PATH, LoginRequired, PageError, PageRoute, landing, redirect, render, safe_next

COOKIE = "ubnd_session"
# The log-in form has no session yet: a double-submit token (cookie = hidden field) guards it.
LOGIN_COOKIE = "ubnd_login"
CSRF_FIELD = "csrf_token"
CSRF_REFUSED = "Yêu cầu bị từ chối vì thiếu mã bảo vệ hoặc mã đã hết hạn. Hãy tải lại trang rồi thao tác lại."

router = APIRouter(route_class=PageRoute, tags=["staff: log-in"])


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https" or os.environ.get("COOKIE_SECURE") == "1"


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int, path: str = "/") -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True, samesite="lax",
                        secure=secure_cookies(request))


# ---- dependencies
def current_session(request: Request, directory: StaffDirectory = Depends(services.staff_directory)) -> Session:
    session = directory.session(request.cookies.get(COOKIE))
    if session is None:
        raise LoginRequired()
    request.state.session = session  # error pages show the same navigation
    return session


def current_staff(session: Session = Depends(current_session)) -> Staff:
    return session.staff


def require_role(*roles: str) -> Callable[..., Staff]:
    """A route's guard: the account holds one of `roles` (an admin holds every role)."""
    names = " hoặc ".join(ROLES[r].lower() for r in roles)

    def member_with_role(member: Staff = Depends(current_staff)) -> Staff:
        if not member.has_role(*roles):
            raise PageError(403, f"Trang này chỉ dành cho {names}. Tài khoản của bạn có vai trò: "
                                 f"{member.role_name.lower()}. Hãy nhờ quản trị thêm vai trò nếu cần.")
        return member

    return member_with_role


def home(member: Staff) -> str:
    """Where a log-in lands: the inbox for whoever answers citizens, else the account's own page."""
    if ADMIN in member.roles:
        return landing(ADMIN)
    return landing(OFFICER if member.has_role(OFFICER, LEADER) else member.role)


async def check_csrf(request: Request, session: Session = Depends(current_session),
                     db: Engine = Depends(services.engine)) -> Session:
    """Every POST: the form's token must be this session's (the polling API never posts)."""
    form = await request.form()
    sent = form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token") or ""
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        await run_in_threadpool(_audit_refusal, db, session, request.url.path)
        raise PageError(403, CSRF_REFUSED)
    return session


def _audit_refusal(db: Engine, session: Session, path: str) -> None:
    with db.begin() as conn:
        audit(conn, session.staff.id, session.staff.username, "csrf.refused", detail=path)


# ---- pages
def _login_page(request: Request, message: str = "", username: str = "", next_url: str | None = None,
                status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {
        "message": message, "username": username, "next_url": next_url or "", "login_token": token,
    }, status=status)
    _set_cookie(request, response, LOGIN_COOKIE, token, max_age=3600, path=LOGIN_PATH)
    return response


@router.get(LOGIN_PATH)
def login_form(request: Request, next: str | None = None,
               directory: StaffDirectory = Depends(services.staff_directory)) -> Response:
    session = directory.session(request.cookies.get(COOKIE))
    if session is not None:
        return redirect(safe_next(next) or home(session.staff))
    return _login_page(request, next_url=safe_next(next))


@router.post(LOGIN_PATH)
def log_in(request: Request, username: str = Form(""), password: str = Form(""), login_token: str = Form(""),
           next: str = Form(""), directory: StaffDirectory = Depends(services.staff_directory),
           db: Engine = Depends(services.engine)) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(login_token.encode(), expected.encode()):
        return _login_page(request, "Trang đăng nhập đã quá hạn. Hãy nhập lại tên đăng nhập và mật khẩu.",
                           username, safe_next(next), status=403)
    try:
        member = directory.authenticate(username, password, request.client.host if request.client else "")
    except LoginRefused as refused:
        return _login_page(request, str(refused), username, safe_next(next), status=401)
    directory.end_session(request.cookies.get(COOKIE))  # never keep a token from before the log-in
    token, _csrf = directory.start_session(member)
    response = redirect(safe_next(next) or _month_report(db, member) or home(member))
    _set_cookie(request, response, COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path=LOGIN_PATH)
    return response


def _month_report(db: Engine, member: Staff) -> str | None:
    """Last month's report, prepared at month end, for a leader who has not opened it yet."""
    if not member.has_role(LEADER):
        return None
    period = unseen_month(db, member.id)
    return f"/bao-cao?ky=thang-truoc&ok=report_ready&so={period.first.month}" if period else None


@router.post("/dang-xuat")
def log_out(request: Request, session: Session = Depends(check_csrf),
            directory: StaffDirectory = Depends(services.staff_directory), db: Engine = Depends(services.engine)) -> Response:
    directory.end_session(request.cookies.get(COOKIE))
    with db.begin() as conn:
        audit(conn, session.staff.id, session.staff.username, "logout")
    response = redirect(f"{LOGIN_PATH}?ok=logged_out")
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(request))
    return response

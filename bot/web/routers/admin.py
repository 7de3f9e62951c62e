"""Administration under /quan-tri/ (staff accounts, departments, holidays, Zalo events parked as
dead) and the audit log /nhat-ky.

Admins manage the unit and see no ticket; leaders and admins read the audit log.
"""
from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Form, Request, Response
from sqlalchemy.engine import Engine

from bot.handoff.audit import recent
from bot.handoff.departments import CannedReply, Department, Departments
from bot.handoff.errors import CannedReplyIncomplete, DepartmentError, ResponseHoursNotNumber
from bot.handoff.staff import ADMIN, LEADER, OFFICER, ROLE_DUTIES, ROLES, Session, Staff, StaffDirectory, StaffError
from bot.web import services
from bot.web import error_messages
from bot.web.auth import check_csrf, require_role
from bot.web.names import audit_rows, people, people_by_id
from bot.web.office_hours_form import DAY_CHOICES, read_day, read_office_hours, stored_form
from bot.web.pages import PageError, PageRoute, redirect, render, sentence
from bot.zalo_store import ZaloStore

router = APIRouter(route_class=PageRoute, tags=["administration"])
admin_only = require_role(ADMIN)
AUDIT_LIMIT = 300
DEAD_EVENTS_LIMIT = 200


@router.get("/quan-tri/")
def admin_home(member: Staff = Depends(admin_only)) -> Response:
    return redirect("/quan-tri/can-bo")


# ---- staff
def _staff_list(request: Request, directory: StaffDirectory, units: Departments, error: str = "",
                form: dict[str, str] | None = None, status: int = 200) -> Response:
    departments = units.all()
    return render(request, "admin_staff.html", {
        "staff": directory.all(), "departments": departments, "names": {d.code: d.name for d in departments},
        "roles": ROLES, "duties": ROLE_DUTIES, "error": error, "form": form or {"roles": [OFFICER]}, "section": "staff",
    }, status=status)


@router.get("/quan-tri/can-bo")
def staff_page(request: Request, member: Staff = Depends(admin_only),
               directory: StaffDirectory = Depends(services.staff_directory),
               units: Departments = Depends(services.departments)) -> Response:
    return _staff_list(request, directory, units)


@router.post("/quan-tri/can-bo")
def create_staff(request: Request, username: str = Form(""), display_name: str = Form(""),
                 role: list[str] = Form([]), department_code: str = Form(""), password: str = Form(""),
                 password_again: str = Form(""),
                 _: Session = Depends(check_csrf), member: Staff = Depends(admin_only),
                 directory: StaffDirectory = Depends(services.staff_directory),
                 units: Departments = Depends(services.departments)) -> Response:
    form = {"username": username, "display_name": display_name, "roles": role, "department_code": department_code}
    try:
        if password != password_again:
            raise StaffError("hai lần nhập mật khẩu không khớp")
        _check_department(units, department_code)
        directory.create(username, display_name, password, role, department_code or None, by=member)
    except StaffError as exc:
        return _staff_list(request, directory, units, sentence(str(exc)), form, status=400)
    return redirect("/quan-tri/can-bo?ok=staff_created")


def _check_department(units: Departments, code: str) -> None:
    if code and units.get(code) is None:
        raise StaffError("bộ phận không tồn tại")


def _staff_edit(request: Request, directory: StaffDirectory, units: Departments, staff_id: int,
                error: str = "", status: int = 200) -> Response:
    subject = _existing(directory, staff_id)
    return render(request, "admin_staff_edit.html", {
        "subject": subject, "departments": units.all(), "roles": ROLES, "duties": ROLE_DUTIES, "error": error,
        "section": "staff",
    }, status=status)


@router.get("/quan-tri/can-bo/{staff_id}")
def staff_edit_page(request: Request, staff_id: int, member: Staff = Depends(admin_only),
                    directory: StaffDirectory = Depends(services.staff_directory),
                    units: Departments = Depends(services.departments)) -> Response:
    return _staff_edit(request, directory, units, staff_id)


def _existing(directory: StaffDirectory, staff_id: int) -> Staff:
    try:
        return directory.get(staff_id)
    except StaffError:
        raise PageError(404, "Không có cán bộ này.") from None


@router.post("/quan-tri/can-bo/{staff_id}")
def update_staff(request: Request, staff_id: int, display_name: str = Form(""), role: list[str] = Form([]),
                 department_code: str = Form(""), active: str = Form(""),
                 _: Session = Depends(check_csrf), member: Staff = Depends(admin_only),
                 directory: StaffDirectory = Depends(services.staff_directory),
                 units: Departments = Depends(services.departments)) -> Response:
    _existing(directory, staff_id)
    try:
        _check_department(units, department_code)
        directory.update(staff_id, display_name, role, department_code or None, active == "1", by=member)
    except StaffError as exc:
        return _staff_edit(request, directory, units, staff_id, sentence(str(exc)), status=400)
    return redirect(f"/quan-tri/can-bo/{staff_id}?ok=staff_saved")


@router.post("/quan-tri/can-bo/{staff_id}/mat-khau")
def reset_password(request: Request, staff_id: int, password: str = Form(""), password_again: str = Form(""),
                   _: Session = Depends(check_csrf), member: Staff = Depends(admin_only),
                   directory: StaffDirectory = Depends(services.staff_directory),
                   units: Departments = Depends(services.departments)) -> Response:
    _existing(directory, staff_id)
    try:
        if password != password_again:
            raise StaffError("hai lần nhập mật khẩu không khớp")
        directory.set_password(staff_id, password, by=member)
    except StaffError as exc:
        return _staff_edit(request, directory, units, staff_id, sentence(str(exc)), status=400)
    return redirect(f"/quan-tri/can-bo/{staff_id}?ok=password_set")


# ---- departments
@router.get("/quan-tri/bo-phan")
def departments_page(request: Request, member: Staff = Depends(admin_only),
                     units: Departments = Depends(services.departments)) -> Response:
    return render(request, "admin_departments.html", {"departments": units.all(), "section": "departments"})


def _department(units: Departments, code: str) -> Department:
    found = units.get(code)
    if found is None:
        raise PageError(404, "Không có bộ phận này.")
    return found


def _department_edit(request: Request, current: Department, form: dict | None = None, error: str = "",
                     status: int = 200) -> Response:
    form = form or {
        "name": current.name, "hours": stored_form(current.working_days, current.working_periods),
        "response_hours": f"{current.response_time.total_seconds() / 3600:g}".replace(".", ","),
        "canned": [(c.title, c.text) for c in current.canned_replies],
    }
    canned = list(form["canned"]) + [("", "")] * 2  # room for new ones
    return render(request, "admin_department_edit.html", {
        "department": current, "form": form, "canned": canned, "error": error, "section": "departments",
        "day_choices": DAY_CHOICES,
    }, status=status)


@router.get("/quan-tri/bo-phan/{code}")
def department_edit_page(request: Request, code: str, member: Staff = Depends(admin_only),
                         units: Departments = Depends(services.departments)) -> Response:
    return _department_edit(request, _department(units, code))


@router.post("/quan-tri/bo-phan/{code}")
def update_department(request: Request, code: str, name: str = Form(""), ngay: list[str] = Form([]),
                      bat_dau: list[str] = Form([]), ket_thuc: list[str] = Form([]), response_hours: str = Form(""),
                      canned_title: list[str] = Form([]), canned_text: list[str] = Form([]),
                      _: Session = Depends(check_csrf), member: Staff = Depends(admin_only),
                      units: Departments = Depends(services.departments), db: Engine = Depends(services.engine)) -> Response:
    canned = list(zip(canned_title, canned_text))  # one title and one text per canned reply, in form order
    office = read_office_hours(ngay, bat_dau, ket_thuc)
    form = {"name": name.strip(), "hours": office, "response_hours": response_hours.strip(), "canned": canned}
    current = _department(units, code)
    if office.problems:
        return _department_edit(request, current, form, " ".join(office.problems), status=400)
    try:
        hours = _hours(form["response_hours"])
        replies = _canned_replies(canned)
        units.update_department(code, form["name"], office.working_days, office.working_periods, hours, replies,
                                by=member)
    except DepartmentError as exc:
        return _department_edit(request, current, form, error_messages.message(exc), status=400)
    return redirect(f"/quan-tri/bo-phan/{code}?ok=department_saved")


def _hours(text: str) -> float:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise ResponseHoursNotNumber() from None


def _canned_replies(rows: list[tuple[str, str]]) -> list[CannedReply]:
    replies = []
    for title, text in rows:
        title, text = title.strip(), text.strip()
        if not title and not text:
            continue
        if not title or not text:
            raise CannedReplyIncomplete()
        replies.append(CannedReply(title, text))
    return replies


# ---- holidays
def _holidays_page(request: Request, units: Departments, error: str = "", form: dict | None = None,
                   status: int = 200) -> Response:
    today = date.today()
    return render(request, "admin_holidays.html", {
        "holidays": units.holidays(), "today": today, "error": error, "form": form or {}, "section": "holidays",
    }, status=status)


@router.get("/quan-tri/ngay-nghi")
def holidays_page(request: Request, member: Staff = Depends(admin_only),
                  units: Departments = Depends(services.departments)) -> Response:
    return _holidays_page(request, units)


@router.post("/quan-tri/ngay-nghi")
def add_holiday(request: Request, day: str = Form(""), name: str = Form(""), _: Session = Depends(check_csrf),
                member: Staff = Depends(admin_only), units: Departments = Depends(services.departments),
                db: Engine = Depends(services.engine)) -> Response:
    try:
        when = read_day(day)
    except ValueError as exc:
        return _holidays_page(request, units, sentence(str(exc)), {"day": day, "name": name}, 400)
    units.add_holiday(when, name, by=member)
    return redirect("/quan-tri/ngay-nghi?ok=holiday_added")


@router.post("/quan-tri/ngay-nghi/{day}/xoa")
def remove_holiday(day: date, _: Session = Depends(check_csrf), member: Staff = Depends(admin_only),
                   units: Departments = Depends(services.departments), db: Engine = Depends(services.engine)) -> Response:
    if not units.remove_holiday(day, by=member):
        raise PageError(404, "Không có ngày nghỉ này.")
    return redirect("/quan-tri/ngay-nghi?ok=holiday_removed")


# ---- Zalo events the gateway gave up on
@router.get("/quan-tri/su-co")
def dead_events_page(request: Request, member: Staff = Depends(admin_only),
                     store: ZaloStore = Depends(services.zalo_store)) -> Response:
    return render(request, "admin_dead_events.html", {"events": store.dead_events(DEAD_EVENTS_LIMIT),
                                                      "limit": DEAD_EVENTS_LIMIT, "section": "dead_events"})


# ---- audit log
@router.get("/nhat-ky")
def audit_page(request: Request, yeu_cau: str = "", member: Staff = Depends(require_role(LEADER, ADMIN)),
               db: Engine = Depends(services.engine), units: Departments = Depends(services.departments)) -> Response:
    ticket_id = int(yeu_cau) if yeu_cau.strip().isdigit() else None
    departments = {d.code: d.name for d in units.all()}
    return render(request, "audit.html", {
        "entries": audit_rows(recent(db, AUDIT_LIMIT, ticket_id), people(db), departments, people_by_id(db)),
        "ticket_id": ticket_id, "limit": AUDIT_LIMIT,
    })

"""Reports for leaders at /bao-cao: the page, the workbook, the raw requests, last month's report.

Leaders and admins see the whole unit (or one department they pick); an officer sees only their
own department's figures, on every route, downloads included.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from markupsafe import Markup
from sqlalchemy.engine import Engine

from bot.db import utc_now
from bot.handoff.departments import Departments
from bot.handoff.staff import ADMIN, LEADER, OFFICER, Staff
from bot.reports import charts, periods
from bot.reports.figures import BUCKETS, HANDOFF_REASONS
from bot.reports.report import Report, build_report
from bot.reports.schedule import last_month, mark_seen, stored_month
from bot.reports.workbook import build_workbook, requests_csv, requests_xlsx
from bot.web import services
from bot.web.auth import require_role
from bot.web.pages import PageError, PageRoute, render, templates

router = APIRouter(prefix="/bao-cao", route_class=PageRoute, tags=["reports"])
reader = require_role(LEADER, ADMIN, OFFICER)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Choice:
    """What a request asks for: the period and the departments it may see (None: the unit)."""
    member: Staff
    period: periods.Period
    departments: list[str] | None
    department: str  # the one picked, "" for all
    kind: str
    first: str
    last: str


def choice(ky: str = periods.MONTH, tu: str = "", den: str = "", bo_phan: str = "", member: Staff = Depends(reader),
           units: Departments = Depends(services.departments)) -> Choice:
    try:
        period = periods.period_for(ky, periods.vietnam_today(utc_now()), tu, den)
    except periods.PeriodError as exc:
        raise PageError(400, f"Khoảng thời gian chưa đúng: {exc}.") from None
    known = units.by_code()
    if bo_phan and bo_phan not in known:
        raise PageError(404, "Không có bộ phận này.")
    if member.role == OFFICER:
        if not member.department_code:
            raise PageError(403, "Tài khoản của bạn chưa thuộc bộ phận nào nên chưa xem được báo cáo.")
        if bo_phan and bo_phan != member.department_code:
            raise PageError(403, "Bạn chỉ xem được số liệu của bộ phận mình.")
        bo_phan = member.department_code
    return Choice(member, period, [bo_phan] if bo_phan else None, bo_phan, period.kind,
                  f"{period.first:%d/%m/%Y}", f"{period.last:%d/%m/%Y}")


@router.get("")
async def report_page(request: Request, asked: Choice = Depends(choice), db: Engine = Depends(services.engine),
                      units: Departments = Depends(services.departments)) -> Response:
    report = await run_in_threadpool(build_report, db, asked.period, asked.departments)
    monthly = None
    if asked.departments is None and asked.period == last_month(utc_now()):
        if await run_in_threadpool(stored_month, db, asked.period) is not None:
            monthly = f"{asked.period.first:%Y-%m}"
            await run_in_threadpool(mark_seen, db, asked.member.id, asked.member.username, asked.period)
    return render(request, "report.html", {
        "report": report, "asked": asked, "kinds": periods.KINDS, "charts": _charts(report),
        "reasons": HANDOFF_REASONS, "buckets": BUCKETS, "departments": units.all(), "monthly": monthly,
        "query": _query(asked),
    })


@router.get("/bao-cao.xlsx")
async def workbook(asked: Choice = Depends(choice), db: Engine = Depends(services.engine)) -> Response:
    # openpyxl is pure Python: a year's workbook takes a second or two, not on the event loop
    report = await run_in_threadpool(build_report, db, asked.period, asked.departments)
    data = await run_in_threadpool(build_workbook, report)
    return _download(data, XLSX, f"bao-cao-{asked.period.first:%Y%m%d}-{asked.period.last:%Y%m%d}.xlsx")


@router.get("/yeu-cau.csv")
async def requests_as_csv(asked: Choice = Depends(choice), db: Engine = Depends(services.engine)) -> Response:
    data = await run_in_threadpool(requests_csv, db, asked.period, asked.departments)
    return _download(data, "text/csv; charset=utf-8", f"yeu-cau-{asked.period.first:%Y%m%d}-{asked.period.last:%Y%m%d}.csv")


@router.get("/yeu-cau.xlsx")
async def requests_as_xlsx(asked: Choice = Depends(choice), db: Engine = Depends(services.engine)) -> Response:
    data = await run_in_threadpool(requests_xlsx, db, asked.period, asked.departments)
    return _download(data, XLSX, f"yeu-cau-{asked.period.first:%Y%m%d}-{asked.period.last:%Y%m%d}.xlsx")


@router.get("/thang/{year}-{number}.xlsx")
async def monthly_workbook(year: int, number: int, member: Staff = Depends(require_role(LEADER, ADMIN)),
                           db: Engine = Depends(services.engine)) -> Response:
    """The month's report as it was prepared at month end (the whole unit: leaders and admins)."""
    if not 1 <= number <= 12 or not 2000 <= year <= 2100:
        raise PageError(404, "Không có báo cáo tháng này.")
    period = periods.month(year, number)
    data = await run_in_threadpool(stored_month, db, period)
    if data is None:
        raise PageError(404, "Báo cáo tháng này chưa được lập.")
    return _download(data, XLSX, f"bao-cao-thang-{number:02d}-{year}.xlsx")


def _download(data: bytes, media_type: str, name: str) -> Response:
    return Response(data, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _query(asked: Choice) -> str:
    query = f"ky={asked.kind}"
    if asked.kind == periods.CUSTOM:
        query += f"&tu={asked.first}&den={asked.last}"
    if asked.department and asked.member.role != OFFICER:
        query += f"&bo_phan={asked.department}"
    return query


def _charts(report: Report) -> dict[str, Markup]:
    days = report.current.days
    dates = [d.day for d in days]
    drawn = {
        "on_time": charts.hbars("Tỷ lệ giải quyết đúng hạn theo bộ phận",
                                [d.name for d in report.current.departments],
                                [d.on_time_share for d in report.current.departments]),
    }
    if report.whole_unit:
        drawn["volume"] = charts.bars_per_day("Tin nhắn đến theo ngày", dates, [d.messages_in for d in days])
        drawn["bot_share"] = charts.line_per_day("Tỷ lệ trợ lý ảo tự giải quyết theo ngày", dates,
                                                 [d.bot_share for d in days], percent=True)
        drawn["followers"] = charts.line_per_day("Số người quan tâm theo ngày", dates, [d.followers for d in days],
                                                 missing_note="{n} ngày chưa có số liệu")
    # the SVG is built from numbers and escaped labels only
    return {name: Markup(svg) for name, svg in drawn.items()}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _num(value: int | float | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{value:,}".replace(",", ".")


def _change(now: float | int | None, before: float | int | None, percent: bool = False) -> str:
    """"+12%" (or "+3 điểm %" between two shares) against the previous period."""
    if now is None or before is None:
        return ""
    if percent:
        points = round((now - before) * 100)
        return f"{points:+d} điểm %" if points else "không đổi"
    if not before:
        return "mới" if now else ""
    return f"{(now - before) / before * 100:+.0f}%"


def _date(value: datetime) -> str:
    return value.strftime("%d/%m/%Y")


templates.env.filters.update(pct=_pct, num=_num, change=_change, dmy=_date)

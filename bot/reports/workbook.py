"""The report as an Excel workbook in the form of a Vietnamese periodic report (quốc hiệu, tiêu
ngữ, the unit, the title, the period, numbered tables, native charts), and the raw requests as
CSV or XLSX (one row per ticket, no citizen text)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import and_, select
from sqlalchemy.engine import Engine

from bot.db import department, ticket
from bot.handoff.office_hours import VIETNAM
from bot.handoff.tickets import STATUS_NAMES
from bot.reports.figures import BUCKETS, HANDOFF_REASONS, DepartmentFigures, Figures
from bot.reports.periods import Period
from bot.reports.report import Report

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
TITLE = "Báo cáo kết quả tiếp nhận và trả lời ý kiến người dân qua Zalo OA"
CLOSED_NAMES = {"resolved": "Đã giải quyết", "cancelled_by_citizen": "Công dân hủy"}
REQUEST_HEADER = ("Số yêu cầu", "Bộ phận", "Kênh", "Tiếp nhận lúc", "Bộ phận nhận lúc", "Hạn trả lời",
                  "Trả lời đầu tiên lúc", "Đóng lúc", "Trạng thái", "Kết quả", "Đúng hạn", "Đánh giá (1–5)")
_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def build_workbook(report: Report) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Báo cáo"
    days = book.create_sheet("Số liệu theo ngày")
    writer = _Writer(sheet)
    writer.heading(report)
    current, previous = report.current, report.previous
    if report.whole_unit:
        writer.table("Tiếp nhận qua Zalo OA", ("Chỉ tiêu", "Kỳ này", "Kỳ trước", "Tăng/giảm"), [
            _compare("Công dân đã nhắn tin", current.citizens, previous.citizens),
            _compare("Cuộc trò chuyện (mỗi công dân mỗi ngày)", current.conversations, previous.conversations),
            _compare("Tin nhắn đến", current.messages_in, previous.messages_in),
            _compare("Tin nhắn trả lời", current.messages_out, previous.messages_out),
        ])
        bot_rows = [
            _compare("Câu hỏi (không kể chào hỏi)", current.questions, previous.questions),
            _compare("Trợ lý ảo trả lời", current.decisions["answer"], previous.decisions["answer"]),
            _compare("Trợ lý ảo hỏi lại cho rõ", current.decisions["clarify"], previous.decisions["clarify"]),
            _compare("Chuyển cán bộ", current.decisions["handoff"], previous.decisions["handoff"]),
        ]
        bot_rows += [_compare(f"  – {label}", current.handoffs[key], previous.handoffs[key])
                     for key, label in HANDOFF_REASONS.items()]
        bot_rows.append(("Tỷ lệ trợ lý ảo tự giải quyết", _pct(current.bot_share), _pct(previous.bot_share),
                         _pct_change(current.bot_share, previous.bot_share)))
        writer.table("Trợ lý ảo xử lý câu hỏi", ("Chỉ tiêu", "Kỳ này", "Kỳ trước", "Tăng/giảm"), bot_rows)
    on_time_table = writer.table("Yêu cầu chuyển cán bộ theo bộ phận", (
        "Bộ phận", "Tiếp nhận", "Kỳ trước", "Đã giải quyết", "Còn mở cuối kỳ", "Quá hạn hiện tại",
        "Giải quyết đúng hạn", "Kỳ trước"), [
        (d.name, d.received, p.received, d.resolved, d.open_at_end,
         "—" if d.overdue_now is None else d.overdue_now, _pct(d.on_time_share), _pct(p.on_time_share))
        for d, p in _pairs(current, previous)
    ])
    writer.table("Thời gian trả lời và giải quyết (giờ)", (
        "Bộ phận", "Phản hồi đầu: trung vị (giờ làm việc)", "P90 (giờ làm việc)", "Trung vị (giờ đồng hồ)",
        "P90 (giờ đồng hồ)", "Giải quyết: trung vị (giờ làm việc)", "P90 (giờ làm việc)",
        "Trung vị (giờ đồng hồ)", "P90 (giờ đồng hồ)"), [
        (d.name, *_hours(d.first_response), *_hours(d.resolution)) for d in current.departments
    ])
    writer.table("Phân bố thời gian phản hồi đầu tiên", ("Bộ phận", *BUCKETS),
                 [(d.name, *(d.distribution[b] for b in BUCKETS)) for d in current.departments])
    satisfaction = [(d.name, d.ratings, _number(d.rating_average), _number(p.rating_average))
                    for d, p in _pairs(current, previous)]
    writer.table("Mức độ hài lòng với cán bộ (đánh giá 1–5 sau khi giải quyết)",
                 ("Bộ phận", "Lượt đánh giá", "Điểm trung bình", "Kỳ trước"), satisfaction)
    if report.whole_unit:
        writer.table("Câu hỏi được hỏi nhiều nhất", ("Mã FAQ", "Câu hỏi", "Số lần trả lời", "Có giúp ích",
                                                     "Không giúp được"),
                     [(f.faq_id, f.title, f.answered, f.helpful, f.not_helpful) for f in current.top_faqs])
        writer.table("Người quan tâm Zalo OA", ("Chỉ tiêu", "Kỳ này", "Kỳ trước", "Tăng/giảm"), [
            _compare("Lượt quan tâm mới", current.follows, previous.follows),
            _compare("Lượt bỏ quan tâm", current.unfollows, previous.unfollows),
            _compare("Tăng ròng", current.net_followers, previous.net_followers),
            ("Số người quan tâm cuối kỳ" + (f" (ngày {current.followers_day:%d/%m/%Y})" if current.followers_day else ""),
             "—" if current.followers_at_end is None else current.followers_at_end,
             "—" if previous.followers_at_end is None else previous.followers_at_end, ""),
            *((f"Tỷ lệ so với: {r.label} ({r.population:,})".replace(",", "."), _pct(r.share), "", "")
              for r in report.reach),
        ])
    writer.note(f"Số liệu lập lúc {report.prepared_at.astimezone(VIETNAM):%H:%M %d/%m/%Y}. Giờ làm việc tính theo "
                "lịch làm việc của từng bộ phận, trừ ngày nghỉ lễ; yêu cầu được chuyển bộ phận tính từ lúc bộ phận mới nhận.")
    _day_sheet(days, report)
    _charts(sheet, days, report, on_time_table, writer)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class _Writer:
    def __init__(self, sheet) -> None:
        self.sheet = sheet
        self.row = 1
        self.number = 0
        for column, width in zip("ABCDEFGHI", (44, 16, 16, 16, 16, 16, 16, 16, 16)):
            sheet.column_dimensions[column].width = width

    def heading(self, report: Report) -> None:
        sheet = self.sheet
        sheet["A1"] = report.unit_name.upper()
        sheet["A1"].font = Font(bold=True)
        sheet.merge_cells("C1:H1")
        sheet["C1"] = NATION
        sheet["C1"].font = Font(bold=True)
        sheet.merge_cells("C2:H2")
        sheet["C2"] = MOTTO
        sheet["C2"].font = Font(bold=True, underline="single")
        for cell in ("C1", "C2"):
            sheet[cell].alignment = Alignment(horizontal="center")
        sheet.merge_cells("C3:H3")
        place = report.unit_name.split("(")[0].strip().removeprefix("UBND ").strip()
        sheet["C3"] = f"{place}, ngày {report.prepared_at.astimezone(VIETNAM):%d} tháng " \
                      f"{report.prepared_at.astimezone(VIETNAM):%m} năm {report.prepared_at.astimezone(VIETNAM):%Y}"
        sheet["C3"].font = Font(italic=True)
        sheet["C3"].alignment = Alignment(horizontal="center")
        sheet.merge_cells("A5:H5")
        sheet["A5"] = "BÁO CÁO"
        sheet.merge_cells("A6:H6")
        sheet["A6"] = TITLE
        sheet.merge_cells("A7:H7")
        period = report.period
        sheet["A7"] = f"Kỳ báo cáo: từ ngày {period.first:%d/%m/%Y} đến ngày {period.last:%d/%m/%Y}" \
                      f" (so với kỳ trước: {period.previous().first:%d/%m/%Y} – {period.previous().last:%d/%m/%Y})"
        for cell, font in (("A5", Font(bold=True, size=14)), ("A6", Font(bold=True, size=12)), ("A7", Font(italic=True))):
            sheet[cell].font = font
            sheet[cell].alignment = Alignment(horizontal="center", wrap_text=True)
        self.row = 9
        if report.department_names:
            sheet.cell(self.row, 1, "Phạm vi: " + ", ".join(report.department_names))
            self.row += 2

    def table(self, title: str, header: tuple, rows: list[tuple]) -> tuple[int, int, int]:
        """Writes `N. title`, the header and rows; returns (header row, first row, last row)."""
        self.number += 1
        sheet = self.sheet
        sheet.cell(self.row, 1, f"Bảng {self.number}. {title}").font = Font(bold=True)
        self.row += 1
        head = self.row
        for column, text in enumerate(header, 1):
            cell = sheet.cell(head, column, text)
            cell.font = Font(bold=True)
            cell.border = _BOX
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        for offset, values in enumerate(rows, 1):
            for column, value in enumerate(values, 1):
                cell = sheet.cell(head + offset, column, float(value) if isinstance(value, _Share) else value)
                cell.border = _BOX
                if isinstance(value, _Share):
                    cell.number_format = "0%"
        if not rows:
            sheet.cell(head + 1, 1, "Không có số liệu trong kỳ.").font = Font(italic=True)
        self.row = head + max(len(rows), 1) + 2
        return head, head + 1, head + len(rows)

    def note(self, text: str) -> None:
        self.sheet.cell(self.row, 1, text).font = Font(italic=True, size=9)
        self.row += 2


def _day_sheet(sheet, report: Report) -> None:
    sheet.append(("Ngày", "Tin nhắn đến", "Cuộc trò chuyện", "Câu hỏi", "Trợ lý ảo tự giải quyết", "Tỷ lệ (%)",
                  "Quan tâm mới", "Bỏ quan tâm", "Số người quan tâm"))
    for day in report.current.days:
        share = day.bot_share
        sheet.append((f"{day.day:%d/%m/%Y}", day.messages_in, day.conversations, day.questions, day.closed_by_bot,
                      None if share is None else round(share * 100, 1), day.follows, day.unfollows, day.followers))
    for column in range(1, 10):
        sheet.column_dimensions[get_column_letter(column)].width = 16


def _charts(sheet, days, report: Report, on_time: tuple[int, int, int], writer: _Writer) -> None:
    anchor = writer.row
    last = len(report.current.days) + 1
    placed = 0

    def place(chart) -> None:
        nonlocal placed
        chart.width, chart.height = 24, 8
        sheet.add_chart(chart, f"A{anchor + placed * 17}")
        placed += 1

    if report.whole_unit and last > 1:
        categories = Reference(days, min_col=1, min_row=2, max_row=last)
        volume = BarChart()
        volume.title = "Tin nhắn đến theo ngày"
        volume.add_data(Reference(days, min_col=2, min_row=1, max_row=last), titles_from_data=True)
        volume.set_categories(categories)
        place(volume)
        share = LineChart()
        share.title = "Tỷ lệ trợ lý ảo tự giải quyết (%)"
        share.add_data(Reference(days, min_col=6, min_row=1, max_row=last), titles_from_data=True)
        share.set_categories(categories)
        place(share)
        followers = LineChart()
        followers.title = "Số người quan tâm Zalo OA"
        followers.add_data(Reference(days, min_col=9, min_row=1, max_row=last), titles_from_data=True)
        followers.set_categories(categories)
        place(followers)
    head, first, final = on_time
    if final >= first:
        # the on-time share per department, from the department table's own column (G)
        chart = BarChart()
        chart.type = "bar"
        chart.title = "Tỷ lệ giải quyết đúng hạn theo bộ phận"
        chart.add_data(Reference(sheet, min_col=7, min_row=head, max_row=final), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=final))
        chart.y_axis.number_format = "0%"
        place(chart)


def _pairs(current: Figures, previous: Figures) -> Iterator[tuple[DepartmentFigures, DepartmentFigures]]:
    before = {d.code: d for d in previous.departments}
    for item in current.departments:
        yield item, before.get(item.code, DepartmentFigures(item.code, item.name))


def _compare(label: str, now: int, before: int) -> tuple:
    return label, now, before, _change(now, before)


def _change(now: int, before: int) -> str:
    if not before:
        return "—" if not now else "mới"
    return f"{(now - before) / before * 100:+.0f}%"


def _pct_change(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return "—"
    points = round((now - before) * 100)
    return f"{points:+d} điểm %" if points else "không đổi"


class _Share(float):
    """A share written as a number shown in per cent (Excel can chart and sum it)."""


def _pct(value: float | None) -> _Share | str:
    return "—" if value is None else _Share(value)


def _number(value: float | None) -> float | str:
    return "—" if value is None else round(value, 1)


def _hours(d) -> tuple:
    return tuple("—" if v is None else round(v, 1)
                 for v in (d.working_median, d.working_p90, d.clock_median, d.clock_p90))


# ---- raw requests
def request_rows(engine: Engine, period: Period, departments: list[str] | None) -> Iterator[tuple]:
    """One row per ticket received in the period: department, times, status, rating; no text."""
    query = (select(ticket.c.id, ticket.c.department_code, ticket.c.channel, ticket.c.created_at, ticket.c.assigned_at,
                    ticket.c.due_at, ticket.c.first_response_at, ticket.c.closed_at, ticket.c.status,
                    ticket.c.closed_reason, ticket.c.rating)
             .where(and_(ticket.c.created_at >= period.start, ticket.c.created_at < period.end))
             .order_by(ticket.c.id))
    if departments is not None:
        query = query.where(ticket.c.department_code.in_(departments))
    with engine.connect() as conn:
        names = dict(conn.execute(select(department.c.code, department.c.name)).all())
        rows = conn.execute(query).all()
    for r in rows:
        on_time = "" if r.closed_reason != "resolved" else ("có" if r.closed_at <= r.due_at else "không")
        yield (r.id, names.get(r.department_code, r.department_code), r.channel, _local(r.created_at),
               _local(r.assigned_at or r.created_at), _local(r.due_at), _local(r.first_response_at),
               _local(r.closed_at), STATUS_NAMES.get(r.status, r.status), CLOSED_NAMES.get(r.closed_reason or "", ""),
               on_time, r.rating if r.rating is not None else "")


def requests_csv(engine: Engine, period: Period, departments: list[str] | None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REQUEST_HEADER)
    writer.writerows(request_rows(engine, period, departments))
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read Vietnamese correctly


def requests_xlsx(engine: Engine, period: Period, departments: list[str] | None) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Yêu cầu")
    sheet.append(REQUEST_HEADER)
    for row in request_rows(engine, period, departments):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _local(value: datetime | None) -> str:
    return value.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M") if value else ""

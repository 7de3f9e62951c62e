"""The workbook reads as a Vietnamese periodic report (issue 18)."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from bot.reports.periods import month
from bot.reports.report import build_report
from bot.reports.workbook import MOTTO, NATION, TITLE, build_workbook, requests_xlsx
from tests.bot.reports.conftest import HOME, vn


def _cells(sheet) -> list[str]:
    return [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]


def test_the_workbook_has_the_national_heading_numbered_tables_and_charts(engine, desk, clock, people):
    clock.at = vn("2026-03-02 08:00")
    opened = desk.open_ticket("c1", "zalo", "Hỏi khai sinh", HOME, "lý do").ticket
    clock.at = vn("2026-03-02 08:30")
    desk.claim(opened.id, people["an"])
    desk.record_reply(opened.id, people["an"], "Dạ", True, {})
    report = build_report(engine, month(2026, 3), None, vn("2026-04-01 08:00"))

    book = load_workbook(io.BytesIO(build_workbook(report)))
    sheet = book["Báo cáo"]
    cells = _cells(sheet)

    assert sheet["C1"].value == NATION and sheet["C2"].value == MOTTO and sheet["A6"].value == TITLE
    assert sheet["A1"].value.startswith("UBND")
    assert "từ ngày 01/03/2026 đến ngày 31/03/2026" in sheet["A7"].value
    numbered = [c for c in cells if c.startswith("Bảng ")]
    assert numbered[0].startswith("Bảng 1. ") and len(numbered) == 8
    assert "Tư pháp – Hộ tịch" in cells
    assert len(sheet._charts) == 4
    assert book["Số liệu theo ngày"]["A2"].value == "01/03/2026"


def test_the_raw_requests_have_one_row_per_ticket_and_no_text(engine, desk, clock, people):
    clock.at = vn("2026-03-02 08:00")
    desk.open_ticket("c1", "zalo", "Câu hỏi riêng tư của công dân", HOME, "lý do")

    rows = list(load_workbook(io.BytesIO(requests_xlsx(engine, month(2026, 3), None))).active.values)

    assert len(rows) == 2 and rows[1][1] == "Tư pháp – Hộ tịch" and rows[1][3] == "02/03/2026 08:00"
    assert not any("riêng tư" in str(v) for row in rows for v in row)

"""/bao-cao (issue 18): who sees which figures, by page and by URL, downloads included."""
from __future__ import annotations

import asyncio
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, insert

from bot.db import report_file, ticket
from bot.handoff.staff import EDITOR
from bot.reports.schedule import last_month, prepare_monthly
from bot.db import utc_now
from tests.bot.web.conftest import HOME, OTHER, PASSWORD

DOWNLOADS = ("/bao-cao/bao-cao.xlsx", "/bao-cao/yeu-cau.csv", "/bao-cao/yeu-cau.xlsx")


@pytest.mark.parametrize("kind", ["tuan-nay", "thang-nay", "thang-truoc", "quy-nay"])
def test_a_leader_sees_the_whole_unit_with_its_charts(inbox, kind):
    response = inbox.get(inbox["leader"], f"/bao-cao?ky={kind}")

    assert response.status_code == 200
    assert "Báo cáo kết quả tiếp nhận và trả lời ý kiến người dân qua Zalo OA" in response.text
    assert response.text.count("<svg") == 4
    assert "Công an xã" in response.text and "Người quan tâm Zalo OA" in response.text


def test_an_officer_sees_only_their_own_department(inbox):
    inbox.open_ticket(department=HOME)
    inbox.open_ticket(department=OTHER)

    page = inbox.get(inbox["officer"], "/bao-cao")
    csv_text = inbox.get(inbox["officer"], "/bao-cao/yeu-cau.csv").content.decode("utf-8-sig")

    assert page.status_code == 200
    assert "Tư pháp – Hộ tịch" in page.text and "Công an xã" not in page.text
    assert "Người quan tâm Zalo OA" not in page.text  # the unit's figures are the leaders'
    assert "Tư pháp – Hộ tịch" in csv_text and "Công an xã" not in csv_text


@pytest.mark.parametrize("path", ["/bao-cao", *DOWNLOADS])
def test_an_officer_cannot_read_another_department_by_url(inbox, path):
    response = inbox.get(inbox["officer"], f"{path}?ky=thang-nay&bo_phan={OTHER}")

    assert response.status_code == 403
    assert "bộ phận mình" in response.text


def test_an_officer_cannot_download_the_units_monthly_report(inbox):
    assert inbox.get(inbox["officer"], "/bao-cao/thang/2026-11.xlsx").status_code == 403


def test_a_leader_may_pick_one_department(inbox):
    response = inbox.get(inbox["leader"], f"/bao-cao?ky=thang-nay&bo_phan={OTHER}")

    assert response.status_code == 200 and "Bộ phận: <strong>Công an xã</strong>" in response.text
    assert inbox.get(inbox["leader"], "/bao-cao?bo_phan=khong_co").status_code == 404


def test_roles_without_reports_and_strangers_are_kept_out(inbox):
    editor = inbox.directory.create(f"{inbox.prefix}.bientap", "Vũ Biên Tập", PASSWORD, EDITOR)
    token, _ = inbox.directory.start_session(editor)
    from tests.bot.web.conftest import Actor

    assert inbox.get(Actor(editor, token), "/bao-cao").status_code == 403
    stranger = inbox.get(None, "/bao-cao/bao-cao.xlsx")
    assert stranger.status_code == 303 and stranger.headers["location"].startswith("/dang-nhap")


def test_a_custom_range_the_wrong_way_round_says_why(inbox):
    response = inbox.get(inbox["leader"], "/bao-cao?ky=tuy-chon&tu=10/03/2026&den=01/03/2026")

    assert response.status_code == 400 and "ngày kết thúc phải sau ngày bắt đầu" in response.text


def test_the_workbook_downloads_as_excel(inbox):
    response = inbox.get(inbox["admin"], "/bao-cao/bao-cao.xlsx?ky=tuy-chon&tu=01/03/2026&den=31/03/2026")

    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="bao-cao-20260301-20260331.xlsx"' in response.headers["content-disposition"]
    assert load_workbook(io.BytesIO(response.content))["Báo cáo"]["C1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"


def test_a_leader_logging_in_is_shown_last_months_report_until_opened(inbox):
    period = last_month(utc_now())
    with inbox.engine.begin() as conn:  # a request last month (the module's cleanup deletes it)
        conn.execute(insert(ticket).values(
            citizen_id=inbox.citizen(), channel="zalo", question="", department_code=HOME, routing_reason="",
            status="done", due_at=period.start, created_at=period.start, updated_at=period.start))
    assert prepare_monthly(inbox.engine) == period
    leader = inbox["leader"].staff

    async def log_in():
        async with inbox.client() as client:
            page = await client.get("/dang-nhap")
            token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
            return await client.post("/dang-nhap", data={"username": leader.username, "password": PASSWORD,
                                                          "login_token": token})

    try:
        first = asyncio.run(log_in())
        target = first.headers["location"]
        assert target == f"/bao-cao?ky=thang-truoc&ok=report_ready&so={period.first.month}"
        page = inbox.get(inbox["leader"], target)
        assert f"Báo cáo tháng {period.first.month} đã sẵn sàng." in page.text
        assert f"/bao-cao/thang/{period.first:%Y-%m}.xlsx" in page.text
        assert inbox.get(inbox["leader"], f"/bao-cao/thang/{period.first:%Y-%m}.xlsx").status_code == 200
        assert asyncio.run(log_in()).headers["location"] == "/inbox/"  # opened: not shown again
    finally:
        with inbox.engine.begin() as conn:
            conn.execute(delete(report_file))

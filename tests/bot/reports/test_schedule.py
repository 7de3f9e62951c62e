"""The report's own jobs: the daily follower snapshot and last month's report (issue 18)."""
from __future__ import annotations

import asyncio
import io

from openpyxl import load_workbook
from sqlalchemy import select

from bot.db import follower_snapshot
from bot.reports.schedule import mark_seen, prepare_monthly, snapshot_followers, stored_month, unseen_month
from bot.reports.periods import month
from connectors.zalo.api import ZaloApiError
from tests.bot.reports.conftest import vn


def test_the_follower_count_is_taken_once_a_vietnam_day(engine):
    asked = []

    async def count() -> int:
        asked.append(1)
        return 330

    # 17:30 UTC on 1 March is 00:30 on 2 March in Vietnam
    first = asyncio.run(snapshot_followers(engine, count, now=vn("2026-03-02 00:30")))
    again = asyncio.run(snapshot_followers(engine, count, now=vn("2026-03-02 23:00")))

    with engine.connect() as conn:
        rows = conn.execute(select(follower_snapshot.c.day, follower_snapshot.c.num_follower)).all()
    assert (first, again, len(asked)) == (330, None, 1)
    assert [(d.isoformat(), n) for d, n in rows] == [("2026-03-02", 330)]


def test_a_day_zalo_does_not_answer_stays_missing(engine):
    async def failing() -> int:
        raise ZaloApiError(-216, "Access token is invalid")

    assert asyncio.run(snapshot_followers(engine, failing, now=vn("2026-03-02 09:00"))) is None
    with engine.connect() as conn:
        assert conn.execute(select(follower_snapshot)).first() is None


def test_a_month_without_any_activity_gets_no_report(engine):
    assert prepare_monthly(engine, vn("2026-12-01 00:30")) is None
    assert stored_month(engine, month(2026, 11)) is None


def test_last_months_report_is_prepared_once_and_shown_until_opened(engine, desk, clock, people):
    at = vn("2026-12-01 00:30")
    november = month(2026, 11)
    clock.at = vn("2026-11-30 23:50")  # Vietnam time: still November
    desk.open_ticket("c1", "zalo", "Hỏi khai sinh", "tu_phap_ho_tich", "lý do")

    assert prepare_monthly(engine, at) == november
    assert prepare_monthly(engine, vn("2026-12-01 01:30")) is None
    book = load_workbook(io.BytesIO(stored_month(engine, november)))
    assert "01/11/2026" in book["Báo cáo"]["A7"].value and "30/11/2026" in book["Báo cáo"]["A7"].value

    leader = people["lan"]
    assert unseen_month(engine, leader.id, at) == november
    mark_seen(engine, leader.id, leader.username, november)
    assert unseen_month(engine, leader.id, at) is None
    assert unseen_month(engine, people["an"].id, at) == november  # each leader sees it until they open it

"""What the web process does for the reports on its own: the OA's follower count once a day, and
each month's report prepared once the month is over."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

import httpx
from sqlalchemy import and_, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.core.ports import ChannelError
from bot.db import audit_log, decision_log, follower_snapshot, report_file, ticket, utc_now, zalo_event
from bot.handoff.audit import audit
from bot.reports.periods import Period, month, vietnam_today
from bot.reports.report import build_report
from bot.reports.workbook import build_workbook

logger = logging.getLogger(__name__)
EVERY = timedelta(hours=1)
MONTH_SEEN = "report.month_seen"


# ---- followers
async def snapshot_followers(engine: Engine, follower_count: Callable[[], Awaitable[int]],
                             now: datetime | None = None) -> int | None:
    """Today's (Vietnam) follower count, asked of Zalo once; None when already taken or Zalo failed."""
    today = vietnam_today(now or utc_now())
    if await asyncio.to_thread(_has_snapshot, engine, today):
        return None
    try:
        count = await follower_count()
    except (ChannelError, httpx.HTTPError) as exc:
        # the day stays missing (the report says so) and the next hour tries again
        logger.warning("no follower count from Zalo getoa: %s", exc)
        return None
    await asyncio.to_thread(_store_snapshot, engine, today, count)
    return count


def _has_snapshot(engine: Engine, day: date) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(follower_snapshot.c.day).where(follower_snapshot.c.day == day)).first() is not None


def _store_snapshot(engine: Engine, day: date, count: int) -> None:
    try:
        with engine.begin() as conn:
            conn.execute(insert(follower_snapshot).values(day=day, num_follower=count, taken_at=utc_now()))
    except IntegrityError:  # another web process took it first: the same day, the same figure
        pass


# ---- the monthly report
def last_month(now: datetime) -> Period:
    first = vietnam_today(now).replace(day=1) - timedelta(days=1)
    return month(first.year, first.month)


def prepare_monthly(engine: Engine, now: datetime | None = None) -> Period | None:
    """Last month's report for the whole unit, built and kept once; None when already there."""
    now = now or utc_now()
    period = last_month(now)
    if stored_month(engine, period) is not None or not had_activity(engine, period):
        return None
    workbook = build_workbook(build_report(engine, period, None, now))
    try:
        with engine.begin() as conn:
            conn.execute(insert(report_file).values(kind="month", period_start=period.first, period_end=period.last,
                                                    prepared_at=now, workbook=workbook))
    except IntegrityError:
        return None
    logger.info("monthly report for %s prepared", period.label)
    return period


def had_activity(engine: Engine, period: Period) -> bool:
    """Anything recorded in the period: a month before the bot ran gets no report of zeros."""
    with engine.connect() as conn:
        return any(conn.execute(select(column).where(and_(column >= period.start, column < period.end)).limit(1)).first()
                   for column in (decision_log.c.created_at, zalo_event.c.received_at, ticket.c.created_at))


def stored_month(engine: Engine, period: Period) -> bytes | None:
    with engine.connect() as conn:
        return conn.execute(select(report_file.c.workbook).where(and_(
            report_file.c.kind == "month", report_file.c.period_start == period.first,
            report_file.c.period_end == period.last))).scalar()


def unseen_month(engine: Engine, staff_id: int, now: datetime | None = None) -> Period | None:
    """Last month's prepared report when this leader has not opened it yet (shown at log-in)."""
    period = last_month(now or utc_now())
    with engine.connect() as conn:
        ready = conn.execute(select(report_file.c.id).where(and_(
            report_file.c.kind == "month", report_file.c.period_start == period.first))).first()
        if ready is None:
            return None
        seen = conn.execute(select(audit_log.c.id).where(and_(
            audit_log.c.staff_id == staff_id, audit_log.c.action == MONTH_SEEN,
            audit_log.c.detail == f"{period.first:%Y-%m}")).limit(1)).first()
    return None if seen else period


def mark_seen(engine: Engine, staff_id: int, username: str, period: Period) -> None:
    with engine.begin() as conn:
        audit(conn, staff_id, username, MONTH_SEEN, detail=f"{period.first:%Y-%m}")


async def reports_forever(engine: Engine, follower_count: Callable[[], Awaitable[int]] | None,
                          every: timedelta = EVERY) -> None:
    """The web process's report jobs: now, then every `every`."""
    while True:
        try:
            if follower_count is not None:
                await snapshot_followers(engine, follower_count)
            await asyncio.to_thread(prepare_monthly, engine)
        except Exception:  # noqa: BLE001 - the outermost boundary of a background job
            logger.exception("the report jobs failed; they run again in %s", every)
        await asyncio.sleep(every.total_seconds())

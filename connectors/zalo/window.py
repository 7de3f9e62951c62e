"""Zalo's rules for writing to a citizen unprompted (../shared/zalo-oa-api.md §3.4).

An OA may send customer-service messages only within 7 days of the citizen's last interaction,
the first 8 within 48 hours free; the inbox warns when under 24 hours are left.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.ports import CLOSED, CLOSING, OPEN, ReplyWindow
from bot.db import utc_now

WINDOW = timedelta(days=7)
FREE_PERIOD = timedelta(hours=48)
FREE_REPLIES = 8
CLOSING_WARNING = timedelta(hours=24)


def reply_window(last_citizen_at: datetime | None, sent_since_citizen: int, now: datetime | None = None) -> ReplyWindow:
    """The window after the citizen's last message, given how many we sent since."""
    now = now or utc_now()
    if last_citizen_at is None:
        return ReplyWindow(CLOSED, None, 0, None)
    closes, free_until = last_citizen_at + WINDOW, last_citizen_at + FREE_PERIOD
    if now >= closes:
        return ReplyWindow(CLOSED, closes, 0, free_until)
    free_left = max(0, FREE_REPLIES - sent_since_citizen) if now < free_until else 0
    return ReplyWindow(CLOSING if closes - now <= CLOSING_WARNING else OPEN, closes, free_left, free_until)

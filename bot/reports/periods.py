"""The report's period: this week, this month, last month, this quarter or a custom range, in
Vietnam days, and the period just before it of the same kind."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.handoff.office_hours import VIETNAM

WEEK, MONTH, LAST_MONTH, QUARTER, CUSTOM = "tuan-nay", "thang-nay", "thang-truoc", "quy-nay", "tuy-chon"
KINDS = {WEEK: "Tuần này", MONTH: "Tháng này", LAST_MONTH: "Tháng trước", QUARTER: "Quý này", CUSTOM: "Tùy chọn"}
MAX_DAYS = 3 * 366


class PeriodError(ValueError):
    """A custom range that cannot be read or is the wrong way round, in Vietnamese."""


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # Vietnam days, both included
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), VIETNAM)

    @property
    def end(self) -> datetime:
        """The moment after the last day (exclusive)."""
        return datetime.combine(self.last + timedelta(days=1), time(0), VIETNAM)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def whole_months(self) -> bool:
        return self.first.day == 1 and self.last == _month_end(self.last)

    @property
    def label(self) -> str:
        if self.first.day == 1 and self.last == _month_end(self.first):
            return f"tháng {self.first.month}/{self.first.year}"
        return f"từ {self.first:%d/%m/%Y} đến {self.last:%d/%m/%Y}"

    def previous(self) -> Period:
        """The same kind of period just before: last week, last month, last quarter, or as many days."""
        if self.whole_months:
            months = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
            first = _add_months(self.first, -months)
            return Period(self.kind, first, _month_end(_add_months(first, months - 1)))
        length = (self.last - self.first).days + 1
        return Period(self.kind, self.first - timedelta(days=length), self.first - timedelta(days=1))


def period_for(kind: str, today: date, first: str = "", last: str = "") -> Period:
    """The period a leader picked; `today` is a Vietnam date. Unknown kinds are this month."""
    if kind == WEEK:
        monday = today - timedelta(days=today.weekday())
        return Period(WEEK, monday, monday + timedelta(days=6))
    if kind == LAST_MONTH:
        start = _add_months(today.replace(day=1), -1)
        return Period(LAST_MONTH, start, _month_end(start))
    if kind == QUARTER:
        start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return Period(QUARTER, start, _month_end(_add_months(start, 2)))
    if kind == CUSTOM:
        begin, end = parse_day(first), parse_day(last)
        if end < begin:
            raise PeriodError("ngày kết thúc phải sau ngày bắt đầu")
        if (end - begin).days >= MAX_DAYS:
            raise PeriodError("khoảng thời gian tối đa là 3 năm")
        return Period(CUSTOM, begin, end)
    start = today.replace(day=1)
    return Period(MONTH, start, _month_end(start))


def month(year: int, number: int) -> Period:
    start = date(year, number, 1)
    return Period(LAST_MONTH, start, _month_end(start))


def parse_day(text: str) -> date:
    """"dd/mm/yyyy" (as written) or "yyyy-mm-dd" (a date input) -> the date."""
    text = (text or "").strip()
    try:
        if "/" in text:
            return datetime.strptime(text, "%d/%m/%Y").date()
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"ngày “{text}” không đúng dạng ngày/tháng/năm") from None


def vietnam_today(now: datetime) -> date:
    return now.astimezone(VIETNAM).date()


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(day: date) -> date:
    return _add_months(day.replace(day=1), 1) - timedelta(days=1)

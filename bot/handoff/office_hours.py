"""When a department works: opening periods on working days, minus public holidays.

Vietnam keeps one offset all year (UTC+7, no daylight saving), so a fixed zone is exact.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from bot.handoff.errors import BadPeriod, BadWorkingDay, PeriodEndsBeforeStart, PeriodsOverlap

VIETNAM = timezone(timedelta(hours=7), "ICT")
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
_SEARCH_DAYS = 60  # the longest run of closed days we look across (Tết plus weekends is ~9)


class ClosedForever(ValueError):
    """Working days or periods are empty: no due time can be computed."""


@dataclass(frozen=True)
class OfficeHours:
    working_days: frozenset[int]  # ISO weekdays, Monday = 1
    periods: tuple[tuple[time, time], ...]  # sorted, not overlapping
    holidays: frozenset[date] = frozenset()

    @classmethod
    def parse(cls, days: str, periods: str, holidays: frozenset[date] = frozenset()) -> OfficeHours:
        """("1-5", "07:30-11:30, 13:30-17:00") -> Monday to Friday, two periods a day."""
        return cls(parse_days(days), parse_periods(periods), holidays)

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.working_days and day not in self.holidays

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(VIETNAM)
        return self.is_working_day(local.date()) and any(s <= local.time() < e for s, e in self.periods)

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself when open, else the start of the next opening period."""
        for start, end in self._periods_from(at):
            if start <= at < end:
                return at
            if start > at:
                return start
        raise ClosedForever("no working period ahead")

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The moment `duration` of open office time has passed since `start`."""
        left = duration
        for period_start, period_end in self._periods_from(start):
            begin = max(start, period_start)
            if begin >= period_end:
                continue
            if begin + left <= period_end:
                return begin + left
            left -= period_end - begin
        raise ClosedForever("no working period ahead")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Open office time from `start` to `end` (zero when `end` is not after `start`)."""
        total = timedelta(0)
        if end <= start:
            return total
        for period_start, period_end in self._periods_from(start):
            if period_start >= end:
                break
            begin, finish = max(start, period_start), min(end, period_end)
            if finish > begin:
                total += finish - begin
        return total

    def _periods_from(self, at: datetime):
        local = at.astimezone(VIETNAM)
        if not self.working_days or not self.periods:
            raise ClosedForever("no working days or periods")
        day = local.date()
        for _ in range(_SEARCH_DAYS + 366):
            if self.is_working_day(day):
                for s, e in self.periods:
                    yield datetime.combine(day, s, VIETNAM), datetime.combine(day, e, VIETNAM)
            day += timedelta(days=1)


def parse_days(text: str) -> frozenset[int]:
    """"1-5" or "1,2,3,4,5,6" (Monday = 1) -> the ISO weekdays."""
    days: set[int] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, _, last = part.partition("-")
        try:
            low, high = int(first), int(last or first)
        except ValueError:
            low, high = 0, 0  # refused just below
        if not 1 <= low <= high <= 7:
            raise BadWorkingDay(part)
        days.update(range(low, high + 1))
    return frozenset(days)


def parse_periods(text: str) -> tuple[tuple[time, time], ...]:
    """"07:30-11:30, 13:30-17:00" -> sorted (start, end) pairs; overlaps and empty ones refused."""
    periods = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            start_text, end_text = (t.strip() for t in part.split("-"))
            start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
        except ValueError:
            raise BadPeriod(part) from None
        if start >= end:
            raise PeriodEndsBeforeStart(part)
        periods.append((start, end))
    periods.sort()
    for (_, end), (start, _) in zip(periods, periods[1:]):
        if start < end:
            raise PeriodsOverlap()
    return tuple(periods)


def format_periods(periods: tuple[tuple[time, time], ...]) -> str:
    return ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in periods)


def format_days(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if ordered and ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{ordered[0]}-{ordered[-1]}"
    return ",".join(str(d) for d in ordered)


def when_phrase(hours: OfficeHours, now: datetime, due: datetime) -> str:
    """What the citizen is told about when an officer answers, in Vietnamese."""
    if hours.is_open(now):
        if due.astimezone(VIETNAM).date() == now.astimezone(VIETNAM).date():
            return f"trong giờ làm việc hôm nay, chậm nhất {clock(due)}"
        return f"chậm nhất {clock(due)} {day_phrase(now, due)}"
    opening = hours.next_opening(now)
    return f"khi bộ phận làm việc trở lại, từ {clock(opening)} {day_phrase(now, opening)}"


def day_phrase(now: datetime, at: datetime) -> str:
    """"hôm nay", "ngày mai (thứ Ba, 01/12)" or "thứ Hai, 07/12", seen from `now`."""
    today, day = now.astimezone(VIETNAM).date(), at.astimezone(VIETNAM).date()
    named = f"{WEEKDAYS[day.weekday()]}, {day:%d/%m}"
    if day == today:
        return "hôm nay"
    if day == today + timedelta(days=1):
        return f"ngày mai ({named})"
    return named


def clock(at: datetime) -> str:
    """07:30 -> "7h30", 13:00 -> "13h00" as Vietnamese offices write it."""
    local = at.astimezone(VIETNAM)
    return f"{local.hour}h{local.minute:02d}"

"""The department form's working days (ticked boxes) and opening periods (time inputs), turned
into the text bot.handoff.departments stores ("1-5", "07:30-11:30, 13:30-17:00") and back.

Every mistake is reported at once, in Vietnamese, naming the period it is about; nothing is
saved until all are fixed.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time

from bot.handoff.office_hours import WEEKDAYS, format_days, format_periods, parse_days, parse_periods

DAY_CHOICES = tuple((number, name[0].upper() + name[1:]) for number, name in enumerate(WEEKDAYS, start=1))
PERIOD_NAMES = ("Buổi sáng", "Buổi chiều", "Buổi tối")


def period_name(index: int) -> str:
    return PERIOD_NAMES[index] if index < len(PERIOD_NAMES) else f"Khung giờ {index + 1}"


@dataclass(frozen=True)
class PeriodRow:
    name: str
    start: str  # "07:30", or "" when not used
    end: str


@dataclass
class OfficeHoursForm:
    days: frozenset[int]
    periods: list[PeriodRow]
    problems: list[str] = field(default_factory=list)

    @property
    def working_days(self) -> str:
        return format_days(self.days)

    @property
    def working_periods(self) -> str:
        return ", ".join(f"{p.start}-{p.end}" for p in self.periods if p.start and p.end)


def rows_for(periods: Sequence[tuple[time, time]], at_least: int = 2) -> list[PeriodRow]:
    """The stored periods as form rows, with empty rows up to `at_least` (morning and afternoon)."""
    rows = [PeriodRow(period_name(i), f"{s:%H:%M}", f"{e:%H:%M}") for i, (s, e) in enumerate(periods)]
    rows += [PeriodRow(period_name(i), "", "") for i in range(len(rows), at_least)]
    return rows


def stored_form(working_days: str, working_periods: str) -> OfficeHoursForm:
    return OfficeHoursForm(parse_days(working_days), rows_for(parse_periods(working_periods)))


def _clock(text: str) -> time | None:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        return None


def read_office_hours(days: Sequence[str], starts: Sequence[str], ends: Sequence[str]) -> OfficeHoursForm:
    """The submitted boxes and times; `problems` says everything to fix (empty when it can be saved)."""
    problems = []
    chosen = frozenset(int(d) for d in days if str(d).strip().isdigit() and 1 <= int(d) <= 7)
    if not chosen:
        problems.append("Hãy đánh dấu ít nhất một ngày làm việc.")
    rows, periods = [], []
    for index in range(max(len(starts), len(ends))):
        start_text = (starts[index] if index < len(starts) else "").strip()
        end_text = (ends[index] if index < len(ends) else "").strip()
        name = period_name(index)
        rows.append(PeriodRow(name, start_text, end_text))
        if not start_text and not end_text:
            continue
        start, end = _clock(start_text), _clock(end_text)
        if not start_text or not end_text:
            problems.append(f"{name}: hãy nhập cả giờ bắt đầu và giờ kết thúc (hoặc để trống cả hai nếu không làm buổi này).")
        elif start is None or end is None:
            problems.append(f"{name}: giờ phải có dạng giờ:phút, ví dụ 07:30.")
        elif start >= end:
            problems.append(f"{name}: giờ kết thúc ({end_text}) phải sau giờ bắt đầu ({start_text}).")
        else:
            periods.append((name, start, end))
    if not any(r.start or r.end for r in rows):
        problems.append("Hãy nhập giờ làm việc của ít nhất một buổi.")
    ordered = sorted(periods, key=lambda p: p[1])
    for (first, _, first_end), (second, second_start, _) in zip(ordered, ordered[1:]):
        if second_start < first_end:
            problems.append(f"{first} và {second.lower()} chồng lên nhau: {second.lower()} phải bắt đầu từ {first_end:%H:%M} trở đi.")
    form = OfficeHoursForm(chosen, rows, problems)
    if not problems:  # the stored format is the one the bot reads: check it round-trips
        parse_days(form.working_days)
        format_periods(parse_periods(form.working_periods))
    return form


def read_day(text: str) -> date:
    """A holiday as the date input sends it (2027-09-02) or as an officer types it (02/09/2027, 2/9/2027)."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    day, month, year = (text.replace("-", "/").replace(".", "/").split("/") + ["", "", ""])[:3]
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"ngày “{text}” không hợp lệ: hãy chọn một ngày trong lịch (ngày/tháng/năm)") from None

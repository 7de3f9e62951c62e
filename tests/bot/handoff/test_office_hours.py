"""Due times and the citizen's "when" across lunch, evenings, weekends and holidays (Vietnam time)."""
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.handoff.office_hours import VIETNAM, ClosedForever, OfficeHours, parse_days, parse_periods, when_phrase

# 2026-11-27 is a Friday; 2026-11-30 a Monday.
HOURS = OfficeHours.parse("1-5", "07:30-11:30, 13:30-17:00", frozenset({date(2026, 11, 30)}))
FOUR = timedelta(hours=4)


def vn(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VIETNAM)


@pytest.mark.parametrize(("start", "due"), [
    (vn(26, 8, 0), vn(26, 14, 0)),      # Thursday morning: 3.5 h before lunch, 0.5 h after
    (vn(26, 11, 0), vn(26, 17, 0)),     # just before lunch: the lunch break does not count
    (vn(26, 12, 15), vn(27, 8, 0)),     # during lunch: counted from 13:30, into tomorrow
    (vn(26, 16, 0), vn(27, 10, 30)),    # late afternoon: 1 h today, 3 h tomorrow morning
    (vn(26, 20, 0), vn(27, 11, 30)),    # evening: from tomorrow's opening
    (vn(27, 15, 0), vn(1, 9, 30, 12)),  # Friday afternoon, Monday a holiday: Tuesday 1 Dec
    (vn(28, 9, 0), vn(1, 11, 30, 12)),  # Saturday
])
def test_due_time_counts_only_open_office_time(start, due):
    assert HOURS.add_working_time(HOURS.next_opening(start), FOUR) == due


def test_the_citizen_is_told_today_during_office_hours():
    now = vn(26, 8, 0)
    assert when_phrase(HOURS, now, HOURS.add_working_time(now, FOUR)) == "trong giờ làm việc hôm nay, chậm nhất 14h00"


def test_late_afternoon_promises_tomorrow_with_the_due_time():
    now = vn(26, 16, 0)
    assert when_phrase(HOURS, now, HOURS.add_working_time(now, FOUR)) == "chậm nhất 10h30 ngày mai (thứ Sáu, 27/11)"


def test_after_hours_a_weekend_and_a_holiday_promise_the_next_opening():
    now = vn(27, 18, 0)  # Friday evening; Monday 30/11 is a holiday here
    due = HOURS.add_working_time(HOURS.next_opening(now), FOUR)
    assert when_phrase(HOURS, now, due) == "khi bộ phận làm việc trở lại, từ 7h30 thứ Ba, 01/12"


def test_lunch_break_promises_this_afternoon():
    now = vn(26, 12, 0)
    due = HOURS.add_working_time(HOURS.next_opening(now), FOUR)
    assert when_phrase(HOURS, now, due) == "khi bộ phận làm việc trở lại, từ 13h30 hôm nay"


def test_utc_input_is_read_in_vietnam_time():
    assert HOURS.is_open(datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc))  # 08:00 in Hà Nội
    assert not HOURS.is_open(datetime(2026, 11, 26, 11, 0, tzinfo=timezone.utc))  # 18:00


@pytest.mark.parametrize(("days", "expected"), [("1-5", {1, 2, 3, 4, 5}), ("1-6", {1, 2, 3, 4, 5, 6}), ("1,3,5", {1, 3, 5})])
def test_working_days_parse(days, expected):
    assert parse_days(days) == frozenset(expected)


@pytest.mark.parametrize("bad", ["0-5", "5-1", "8", "thu hai"])
def test_bad_working_days_are_refused_in_vietnamese(bad):
    with pytest.raises(ValueError):
        parse_days(bad)


@pytest.mark.parametrize("bad", ["7:30-", "11:30-07:30", "07:30-11:30, 11:00-12:00", "sáng"])
def test_bad_periods_are_refused(bad):
    with pytest.raises(ValueError):
        parse_periods(bad)


def test_an_office_that_never_opens_is_an_error_not_a_hang():
    with pytest.raises(ClosedForever):
        OfficeHours(frozenset(), parse_periods("07:30-11:30")).next_opening(vn(26, 8))

"""The period picker's periods, in Vietnam days, and the period before each (issue 18)."""
from __future__ import annotations

from datetime import date

import pytest

from bot.reports.periods import CUSTOM, LAST_MONTH, MONTH, QUARTER, WEEK, PeriodError, period_for

TODAY = date(2026, 3, 5)  # a Thursday


@pytest.mark.parametrize("kind, first, last, previous_first, previous_last", [
    (WEEK, date(2026, 3, 2), date(2026, 3, 8), date(2026, 2, 23), date(2026, 3, 1)),
    (MONTH, date(2026, 3, 1), date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28)),
    (LAST_MONTH, date(2026, 2, 1), date(2026, 2, 28), date(2026, 1, 1), date(2026, 1, 31)),
    (QUARTER, date(2026, 1, 1), date(2026, 3, 31), date(2025, 10, 1), date(2025, 12, 31)),
    ("anything else", date(2026, 3, 1), date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28)),
])
def test_each_kind_of_period_and_the_one_before(kind, first, last, previous_first, previous_last):
    period = period_for(kind, TODAY)

    assert (period.first, period.last) == (first, last)
    assert (period.previous().first, period.previous().last) == (previous_first, previous_last)


def test_january_compares_with_december_of_the_year_before():
    period = period_for(MONTH, date(2026, 1, 20))

    assert (period.previous().first, period.previous().last) == (date(2025, 12, 1), date(2025, 12, 31))


@pytest.mark.parametrize("first, last", [("01/03/2026", "10/03/2026"), ("2026-03-01", "2026-03-10")])
def test_a_custom_range_reads_dd_mm_yyyy_and_date_inputs(first, last):
    period = period_for(CUSTOM, TODAY, first, last)

    assert (period.first, period.last) == (date(2026, 3, 1), date(2026, 3, 10))
    assert (period.previous().first, period.previous().last) == (date(2026, 2, 19), date(2026, 2, 28))
    assert period.start.isoformat() == "2026-03-01T00:00:00+07:00"


@pytest.mark.parametrize("first, last, message", [
    ("10/03/2026", "01/03/2026", "ngày kết thúc phải sau ngày bắt đầu"),
    ("32/03/2026", "01/04/2026", "không đúng dạng"),
    ("", "01/04/2026", "không đúng dạng"),
    ("01/01/2020", "01/04/2026", "tối đa là 3 năm"),
])
def test_a_custom_range_that_cannot_be_used_says_why(first, last, message):
    with pytest.raises(PeriodError, match=message):
        period_for(CUSTOM, TODAY, first, last)

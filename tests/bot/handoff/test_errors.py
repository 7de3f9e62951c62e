"""Refusals are codes with parameters; the one catalogue at the edge words every one of them."""
from __future__ import annotations

import pytest

from bot.handoff import errors
from bot.handoff.office_hours import parse_days, parse_periods
from bot.web.error_messages import FALLBACK, FORBIDDEN_MESSAGES, MESSAGES, message

SAMPLE_PARAMS = {"holder": "Nguyễn Văn An", "limit": 2000, "length": 2345, "channel": "rest", "department": "x",
                 "highest": 200, "part": "sáng", "ticket_id": 7, "why": "other_department"}


def _coded_classes(base=errors.CodedError):
    for cls in base.__subclasses__():
        yield cls
        yield from _coded_classes(cls)


CONCRETE = sorted({cls for cls in _coded_classes() if cls.code not in ("ticket_error", "department_error")},
                  key=lambda c: c.code)


def _instance(cls):
    import inspect

    wanted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    return cls(**{name: SAMPLE_PARAMS[name] for name in wanted if name in SAMPLE_PARAMS})


@pytest.mark.parametrize("cls", CONCRETE, ids=lambda c: c.code)
def test_every_code_has_vietnamese_words(cls):
    error = _instance(cls)
    text = message(error)
    assert text and text != FALLBACK and text[0].isupper() and text[-1] in ".!?"
    assert cls.code in MESSAGES or cls is errors.Forbidden


def test_codes_are_unique():
    codes = [cls.code for cls in CONCRETE]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize(("error", "expected"), [
    (errors.HeldByOther("Nguyễn Văn An"), "Nguyễn Văn An đang xử lý yêu cầu này."),
    (errors.ReasonRequired(), "Cần ghi lý do chuyển."),
    (errors.TicketClosed(3), "Yêu cầu đã đóng."),
    (errors.ReplyTooLong(2000, 2345), "Tin nhắn tối đa 2000 ký tự (hiện 2345)."),
    (errors.Forbidden("not_teacher"), FORBIDDEN_MESSAGES["not_teacher"]),
])
def test_the_words_officers_read(error, expected):
    assert message(error) == expected


def test_an_error_still_raised_with_its_own_text_shows_that_text():
    assert message(errors.TicketError("nội dung trả lời trống")) == "Nội dung trả lời trống."


def test_the_code_not_the_text_is_what_code_reads():
    error = errors.HeldByOther("An")
    assert (error.code, error.params, str(error)) == ("held_by_other", {"holder": "An"}, "held_by_other(holder='An')")


@pytest.mark.parametrize(("parse", "text", "code"), [
    (parse_days, "8", "bad_working_day"), (parse_periods, "sáng", "bad_period"),
    (parse_periods, "11:30-07:30", "period_ends_before_start"), (parse_periods, "07:30-11:30, 11:00-12:00", "periods_overlap"),
])
def test_office_hours_refuse_with_codes_admins_read_in_vietnamese(parse, text, code):
    with pytest.raises(errors.DepartmentError) as refused:
        parse(text)
    assert refused.value.code == code and isinstance(refused.value, ValueError)
    assert message(refused.value) != FALLBACK

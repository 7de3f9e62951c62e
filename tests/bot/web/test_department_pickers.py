"""Working days as ticked boxes and opening periods as time inputs, stored in the text format the
bot reads ("1-5", "07:30-11:30, 13:30-17:00"); holidays picked as dates (issue 18)."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from bot.handoff.departments import Departments
from bot.web.office_hours_form import read_day, read_office_hours, rows_for, stored_form

WEEK = ["1", "2", "3", "4", "5"]


def test_ticked_days_and_two_periods_become_the_stored_text():
    form = read_office_hours(WEEK, ["07:30", "13:30"], ["11:30", "17:00"])
    assert form.problems == []
    assert (form.working_days, form.working_periods) == ("1-5", "07:30-11:30, 13:30-17:00")
    saturday_morning = read_office_hours(["1", "3", "6"], ["07:30", ""], ["11:30", ""])
    assert (saturday_morning.working_days, saturday_morning.working_periods) == ("1,3,6", "07:30-11:30")


@pytest.mark.parametrize("days, starts, ends, problem", [
    ([], ["07:30", "13:30"], ["11:30", "17:00"], "Hãy đánh dấu ít nhất một ngày làm việc."),
    (WEEK, ["11:30", "13:30"], ["07:30", "17:00"], "Buổi sáng: giờ kết thúc (07:30) phải sau giờ bắt đầu (11:30)."),
    (WEEK, ["07:30", "13:30"], ["11:30", "13:30"], "Buổi chiều: giờ kết thúc (13:30) phải sau giờ bắt đầu (13:30)."),
    (WEEK, ["07:30", "13:30"], ["", "17:00"], "Buổi sáng: hãy nhập cả giờ bắt đầu và giờ kết thúc"),
    (WEEK, ["", ""], ["", ""], "Hãy nhập giờ làm việc của ít nhất một buổi."),
    (WEEK, ["07:30", "11:00"], ["11:30", "17:00"], "Buổi sáng và buổi chiều chồng lên nhau: buổi chiều phải bắt đầu từ 11:30 trở đi."),
    (WEEK, ["7h30", ""], ["11:30", ""], "Buổi sáng: giờ phải có dạng giờ:phút, ví dụ 07:30."),
    (["0", "8", "x"], ["07:30"], ["11:30"], "Hãy đánh dấu ít nhất một ngày làm việc."),  # forged values
])
def test_each_mistake_is_said_in_vietnamese_naming_the_period(days, starts, ends, problem):
    problems = read_office_hours(days, starts, ends).problems
    assert any(p.startswith(problem) for p in problems), problems


def test_all_mistakes_are_said_at_once():
    assert len(read_office_hours([], ["11:30", ""], ["07:30", ""]).problems) == 2


def test_the_stored_text_fills_the_boxes_and_rows_back():
    form = stored_form("1-5", "07:30-11:30, 13:30-17:00")
    assert form.days == frozenset(range(1, 6))
    assert [(r.name, r.start, r.end) for r in form.periods] == [("Buổi sáng", "07:30", "11:30"), ("Buổi chiều", "13:30", "17:00")]
    assert [(r.name, r.start) for r in rows_for(((time(7, 0), time(11, 0)),))] == [("Buổi sáng", "07:00"), ("Buổi chiều", "")]


@pytest.mark.parametrize("text, day", [("2027-09-02", date(2027, 9, 2)), ("02/09/2027", date(2027, 9, 2)),
                                       ("2/9/2027", date(2027, 9, 2)), (" 01.01.2027 ", date(2027, 1, 1))])
def test_a_holiday_is_read_as_the_input_sends_it_or_as_an_officer_types_it(text, day):
    assert read_day(text) == day


@pytest.mark.parametrize("text", ["31/02/2027", "không phải ngày", "", "09/2027"])
def test_an_impossible_holiday_says_so(text):
    with pytest.raises(ValueError, match="không hợp lệ"):
        read_day(text)


# ---- through the pages
def _department_form(name: str, **changes) -> dict:
    return {"name": name, "ngay": WEEK, "bat_dau": ["07:30", "13:30"], "ket_thuc": ["11:30", "17:00"],
            "response_hours": "4", "canned_title": [""], "canned_text": [""], **changes}


def test_the_department_page_shows_day_boxes_and_time_inputs(inbox):
    page = inbox.get(inbox["admin"], "/quan-tri/bo-phan/van_hoa_xa_hoi").text
    for number, name in ((1, "Thứ Hai"), (7, "Chủ nhật")):
        assert f'name="ngay" value="{number}"' in page and name in page
    assert page.count('type="time" name="bat_dau"') >= 2 and 'name="working_days"' not in page


def test_a_wrong_department_form_is_refused_kept_and_explained(inbox):
    units = Departments(inbox.engine)
    before = units.get("van_hoa_xa_hoi")
    refused = inbox.post(inbox["admin"], "/quan-tri/bo-phan/van_hoa_xa_hoi",
                         _department_form(before.name, ngay=[], bat_dau=["11:30", "13:30"], ket_thuc=["07:30", "17:00"]))
    assert refused.status_code == 400
    assert "Hãy đánh dấu ít nhất một ngày làm việc." in refused.text
    assert "Buổi sáng: giờ kết thúc (07:30) phải sau giờ bắt đầu (11:30)." in refused.text
    assert 'value="11:30"' in refused.text  # what was typed is kept
    assert units.get("van_hoa_xa_hoi") == before  # nothing saved


def test_a_good_department_form_is_saved_in_the_stored_format_and_the_audit_names_the_days(inbox):
    units = Departments(inbox.engine)
    before = units.get("van_hoa_xa_hoi")
    try:
        saved = inbox.post(inbox["admin"], "/quan-tri/bo-phan/van_hoa_xa_hoi",
                           _department_form(before.name, ngay=["1", "2", "3", "4", "5", "6"], bat_dau=["07:00", ""],
                                            ket_thuc=["11:00", ""]))
        assert saved.status_code == 303
        changed = units.get("van_hoa_xa_hoi")
        assert (changed.working_days, changed.working_periods) == ("1-6", "07:00-11:00")
        assert changed.response_time == timedelta(hours=4)
        log = inbox.get(inbox["leader"], "/nhat-ky").text
        assert "thứ Hai – thứ Bảy" in log and inbox["admin"].staff.display_name in log
    finally:
        units.update_department(before.code, before.name, before.working_days, before.working_periods,
                                before.response_time.total_seconds() / 3600, list(before.canned_replies))


def test_a_holiday_typed_as_dd_mm_yyyy_is_added_and_shown_so(inbox):
    admin = inbox["admin"]
    assert inbox.post(admin, "/quan-tri/ngay-nghi", {"day": "29/12/2099", "name": "Ngày nghỉ thử"}).status_code == 303
    try:
        page = inbox.get(admin, "/quan-tri/ngay-nghi").text
        assert "29/12/2099" in page and 'lang="vi"' in page and "data-spelled" in page
    finally:
        assert inbox.post(admin, "/quan-tri/ngay-nghi/2099-12-29/xoa").status_code == 303
    refused = inbox.post(admin, "/quan-tri/ngay-nghi", {"day": "31/02/2099", "name": "Thử"})
    assert refused.status_code == 400 and "không hợp lệ" in refused.text

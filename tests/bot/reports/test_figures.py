"""The report's figures against hand-computed fixtures (issue 18), on SQLite and PostgreSQL.

Tư pháp – Hộ tịch works Monday to Friday, 07:30–11:30 and 13:30–17:00, and promises a first
answer within 4 working hours (data/departments.yml).
"""
from __future__ import annotations

import pytest
from sqlalchemy import insert

from bot.db import decision_log, follower_snapshot, zalo_event, zalo_outbound
from bot.handoff.departments import Departments
from bot.reports.figures import BUCKETS, WorkingClock, compute
from bot.reports.periods import CUSTOM, Period, month
from bot.reports.report import build_report
from bot.reports.workbook import build_workbook, requests_csv
from tests.bot.reports.conftest import GENERAL, HOME, OTHER, vn

MARCH = month(2026, 3)


def _open(desk, clock, at: str, department: str = HOME, citizen: str = "citizen-1"):
    clock.at = vn(at)
    return desk.open_ticket(citizen, "zalo", "Cho hỏi làm khai sinh", department, "Trợ lý ảo chưa chắc câu trả lời").ticket


def _reply(desk, clock, ticket_id: int, member, at: str) -> None:
    clock.at = vn(at)
    if desk.get(ticket_id).holder_id is None:
        desk.claim(ticket_id, member)
    desk.record_reply(ticket_id, member, "Dạ, anh/chị mang theo giấy chứng sinh ạ.", True, {})


def _resolve(desk, clock, ticket_id: int, member, at: str) -> None:
    clock.at = vn(at)
    desk.resolve(ticket_id, member)


def _department(figures, code: str):
    return next(d for d in figures.departments if d.code == code)


def test_friday_1650_answered_monday_0800_is_within_one_working_hour(engine, desk, clock, people):
    opened = _open(desk, clock, "2026-03-06 16:50")  # a Friday
    _reply(desk, clock, opened.id, people["an"], "2026-03-09 08:00")  # the Monday after

    home = _department(compute(engine, MARCH, now=vn("2026-03-20 12:00")), HOME)

    # 10 minutes on Friday (16:50–17:00) and 30 on Monday (07:30–08:00)
    assert home.first_response.count == 1
    assert home.first_response.working_median == pytest.approx(40 / 60)
    assert home.first_response.clock_median == pytest.approx(63 + 10 / 60)
    assert home.distribution[BUCKETS[0]] == 1
    assert sum(home.distribution.values()) == 1


def test_a_holiday_is_not_working_time_for_the_answer_nor_for_the_due_time(engine, desk, clock, people):
    Departments(engine).add_holiday(vn("2026-03-16 00:00").date(), "Ngày nghỉ thử nghiệm")  # a Monday
    opened = _open(desk, clock, "2026-03-13 16:50")  # Friday
    # due: 10 minutes on Friday, then Tuesday from 07:30 for 3 h 50 -> 11:20
    assert opened.due_at == vn("2026-03-17 11:20")
    _reply(desk, clock, opened.id, people["an"], "2026-03-17 08:00")
    _resolve(desk, clock, opened.id, people["an"], "2026-03-17 10:00")

    home = _department(compute(engine, MARCH, now=vn("2026-03-20 12:00")), HOME)

    assert home.first_response.working_median == pytest.approx(40 / 60)
    assert home.resolution.working_median == pytest.approx(10 / 60 + 2.5)
    assert home.resolution.clock_median == pytest.approx(4 * 24 - 6 - 50 / 60 + 0)  # Fri 16:50 -> Tue 10:00
    assert (home.resolved, home.resolved_on_time, home.on_time_share) == (1, 1, 1.0)


def test_a_transfer_counts_for_the_receiving_department_on_its_own_clock(engine, desk, clock, people):
    opened = _open(desk, clock, "2026-03-02 08:00", department=GENERAL)
    _reply(desk, clock, opened.id, people["vy"], "2026-03-02 08:30")  # Văn phòng answers, then transfers
    clock.at = vn("2026-03-02 09:00")
    desk.transfer(opened.id, people["vy"], HOME, "Việc hộ tịch")
    _reply(desk, clock, opened.id, people["an"], "2026-03-02 09:30")
    _resolve(desk, clock, opened.id, people["an"], "2026-03-02 10:00")

    figures = compute(engine, MARCH, now=vn("2026-03-20 12:00"))
    home, general = _department(figures, HOME), _department(figures, GENERAL)

    # Tư pháp's clock starts at the transfer (09:00), as its due time does; Văn phòng keeps nothing
    assert (home.received, home.resolved) == (1, 1)
    assert home.first_response.working_median == pytest.approx(0.5)
    assert home.resolution.working_median == pytest.approx(1.0)
    assert (general.received, general.resolved, general.first_response.count) == (0, 0, 0)


def test_a_question_after_a_resolved_request_opens_a_second_request(engine, desk, clock, people):
    # The inbox has no "reopen": the citizen writing again after "Đã xong" opens a new ticket.
    first = _open(desk, clock, "2026-03-02 08:00")
    _reply(desk, clock, first.id, people["an"], "2026-03-02 08:30")
    _resolve(desk, clock, first.id, people["an"], "2026-03-02 09:00")
    second = _open(desk, clock, "2026-03-03 08:00")
    assert second.id != first.id

    home = _department(compute(engine, MARCH, now=vn("2026-03-31 12:00")), HOME)

    assert (home.received, home.resolved, home.open_at_end, home.overdue_now) == (2, 1, 1, 1)
    assert home.resolution.working_median == pytest.approx(1.0)


def test_an_empty_period_has_zeros_and_no_shares(engine):
    figures = compute(engine, MARCH, now=vn("2026-03-20 12:00"))

    assert (figures.citizens, figures.messages_in, figures.questions) == (0, 0, 0)
    assert figures.bot_share is None and figures.on_time_share is None
    assert all(d.received == 0 and d.first_response.working_median is None for d in figures.departments)
    assert len(figures.days) == 31 and figures.followers_at_end is None
    build_workbook(build_report(engine, MARCH, None, vn("2026-03-20 12:00")))  # draws, even empty


def _decision(conn, at: str, decision: str, reason: str, faq_id: str | None = None, sender: str = "u1") -> None:
    conn.execute(insert(decision_log).values(
        created_at=vn(at), sender_id=sender, channel="zalo", text="", decision=decision, intent=None, faq_id=faq_id,
        confidence=0.9, department=None, candidates="[]", reason=reason))


def _message(conn, at: str, user: str, n: int) -> None:
    conn.execute(insert(zalo_event).values(event_key=f"user_send_text:{user}:{at}:{n}", event_name="user_send_text",
                                           user_id=user, body="{}", received_at=vn(at)))


def test_traffic_and_bot_handling_beside_the_previous_period(engine):
    with engine.begin() as conn:
        # March: u1 writes twice on the 2nd and once on the 3rd, u2 once: 2 citizens, 3 conversations
        for n, (at, user) in enumerate([("2026-03-02 09:00", "u1"), ("2026-03-02 23:30", "u1"),
                                        ("2026-03-03 00:10", "u1"), ("2026-03-05 10:00", "u2")]):
            _message(conn, at, user, n)
        conn.execute(insert(zalo_outbound).values(user_id="u1", text="", status="sent", attempts=1,
                                                  created_at=vn("2026-03-02 09:00")))
        conn.execute(insert(zalo_outbound).values(user_id="u1", text="", status="undelivered", attempts=3,
                                                  created_at=vn("2026-03-02 09:00")))
        _decision(conn, "2026-03-02 09:00", "answer", "answered", "khai_sinh")
        _decision(conn, "2026-03-02 09:01", "answer", "answered", "khai_sinh")
        _decision(conn, "2026-03-02 09:02", "clarify", "close_candidates")
        _decision(conn, "2026-03-03 00:10", "handoff", "request_human")
        _decision(conn, "2026-03-05 10:00", "handoff", "other_procedure:co_yeu_to_nuoc_ngoai")
        _decision(conn, "2026-03-05 10:01", "handoff", "personal_case_pattern")
        _decision(conn, "2026-03-05 10:02", "out_of_scope", "out_of_scope")
        _decision(conn, "2026-03-05 10:03", "smalltalk", "smalltalk")
        # February (the previous period): one answer, one low-confidence handoff
        _decision(conn, "2026-02-10 09:00", "answer", "answered", "khai_sinh")
        _decision(conn, "2026-02-10 09:05", "handoff", "low_confidence")
        _message(conn, "2026-02-10 09:00", "u3", 99)
        conn.execute(insert(follower_snapshot).values(day=vn("2026-03-02 00:00").date(), num_follower=120,
                                                      taken_at=vn("2026-03-02 08:00")))

    report = build_report(engine, MARCH, None, vn("2026-03-20 12:00"))
    now, before = report.current, report.previous

    assert report.previous.period == month(2026, 2)
    assert (now.citizens, now.conversations, now.messages_in, now.messages_out) == (2, 3, 4, 1)
    assert (before.citizens, before.conversations, before.messages_in) == (1, 1, 1)
    assert now.decisions == {"answer": 2, "clarify": 1, "handoff": 3, "out_of_scope": 1, "smalltalk": 1}
    assert dict(now.handoffs) == {"request_human": 1, "always_human": 1, "personal_case": 1, "out_of_scope": 1}
    # 7 questions (smalltalk is not one), 3 handed to a person
    assert now.bot_share == pytest.approx(4 / 7)
    assert before.bot_share == pytest.approx(1 / 2) and dict(before.handoffs) == {"low_confidence": 1}
    assert [(f.faq_id, f.answered) for f in now.top_faqs] == [("khai_sinh", 2)]
    march_2 = now.days[1]
    assert (march_2.messages_in, march_2.conversations, march_2.questions, march_2.closed_by_bot) == (2, 1, 3, 3)
    assert march_2.followers == 120 and now.days[2].followers is None  # a missing day stays missing
    assert (now.followers_at_end, before.followers_at_end) == (120, None)
    assert now.unanswered == 5


def test_an_officer_scope_keeps_only_their_department(engine, desk, clock, people):
    _open(desk, clock, "2026-03-02 08:00", department=HOME, citizen="a")
    _open(desk, clock, "2026-03-02 08:00", department=OTHER, citizen="b")

    figures = compute(engine, MARCH, [HOME], now=vn("2026-03-20 12:00"))
    csv_text = requests_csv(engine, MARCH, [HOME]).decode("utf-8-sig")

    assert [d.code for d in figures.departments] == [HOME]
    assert figures.whole_unit is False and figures.messages_in == 0
    assert "Tư pháp" in csv_text and "Công an" not in csv_text
    assert "Cho hỏi" not in csv_text  # no citizen text in the raw requests


def test_a_custom_range_compares_with_as_many_days_before(engine, desk, clock, people):
    _open(desk, clock, "2026-03-01 08:00", citizen="a")
    _open(desk, clock, "2026-03-11 08:00", citizen="b")
    _open(desk, clock, "2026-03-12 08:00", citizen="c")
    period = Period(CUSTOM, vn("2026-03-11 00:00").date(), vn("2026-03-20 00:00").date())

    report = build_report(engine, period, [HOME], vn("2026-03-25 12:00"))

    assert (report.previous.period.first.isoformat(), report.previous.period.last.isoformat()) == ("2026-03-01", "2026-03-10")
    assert (_department(report.current, HOME).received, _department(report.previous, HOME).received) == (2, 1)


@pytest.mark.parametrize("start, end", [
    ("2026-03-06 16:50", "2026-03-09 08:00"),  # over a weekend
    ("2026-03-02 12:00", "2026-03-02 12:30"),  # inside the lunch break
    ("2026-03-01 09:00", "2026-03-31 18:00"),  # a month, starting on a Sunday
    ("2026-02-13 10:00", "2026-02-23 10:00"),  # across Tết
    ("2026-03-02 09:00", "2026-03-02 09:00"),
])
def test_the_working_clock_agrees_with_the_office_hours(engine, start, end):
    hours = Departments(engine).get(HOME).hours
    clock = WorkingClock(hours, vn("2026-01-01 00:00").date())

    expected = hours.working_time_between(vn(start), vn(end)).total_seconds() / 3600
    assert clock.hours_between(vn(start).timestamp(), vn(end).timestamp()) == pytest.approx(expected)

"""The queue page's figures on both databases: counts per department under the lists' own
conditions, and since when each open request has waited for the office."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from bot.db import ticket
from bot.handoff.queue_counts import DONE_WINDOW, DepartmentCount, queue_counts, waited_phrase, waiting_since
from bot.handoff.tickets import TicketDesk

HOME, OTHER = "tu_phap_ho_tich", "cong_an"
START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 08:00 in Vietnam


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture
def clock(desk):
    clock = Clock(START)
    desk.clock = clock
    return clock


def _open(desk: TicketDesk, citizen: str, department: str = HOME) -> int:
    return desk.open_ticket(citizen, "zalo", "Cho hỏi thủ tục khai sinh?", department, "Công dân muốn gặp cán bộ",
                            "Nguyễn Thị Hoa").ticket.id


def test_each_number_counts_what_its_list_shows(desk, people, clock):
    first, second, elsewhere = _open(desk, "c1"), _open(desk, "c2"), _open(desk, "c3", OTHER)
    finished = _open(desk, "c4")
    desk.claim(finished, people["an"])
    desk.resolve(finished, people["an"])
    long_ago = _open(desk, "c5")
    desk.claim(long_ago, people["an"])
    desk.resolve(long_ago, people["an"])
    with desk.engine.begin() as conn:  # closed before the "Đã xong" window; first overdue
        conn.execute(update(ticket).where(ticket.c.id == long_ago).values(closed_at=START - DONE_WINDOW - timedelta(days=1)))
        conn.execute(update(ticket).where(ticket.c.id == first).values(due_at=START - timedelta(minutes=1)))

    counts = queue_counts(desk.engine, None, now=START)

    assert counts.of([HOME]) == DepartmentCount(open=2, overdue=1, done=1)
    assert counts.of([OTHER]) == DepartmentCount(open=1, overdue=0, done=0)
    assert counts.of(None) == DepartmentCount(open=3, overdue=1, done=1)
    assert counts.of(None).open == len(desk.queue(None))
    assert queue_counts(desk.engine, [OTHER], now=START).of(None) == DepartmentCount(open=1)
    assert {second, elsewhere} <= {t.id for t in desk.queue(None)}


def test_a_request_waits_from_its_opening_then_from_the_first_unanswered_message(desk, people, clock):
    ticket_id = _open(desk, "c1")
    opened = clock.at
    assert waiting_since(desk.engine, [ticket_id]) == {ticket_id: opened}

    clock.advance(minutes=20)
    desk.claim(ticket_id, people["an"])
    assert waiting_since(desk.engine, [ticket_id]) == {ticket_id: opened}  # claiming is not answering

    clock.advance(minutes=10)
    desk.record_reply(ticket_id, people["an"], "Anh/chị mang giấy tờ tùy thân đến bộ phận một cửa.", True, {})
    assert waiting_since(desk.engine, [ticket_id]) == {ticket_id: None}

    asked_again = clock.advance(minutes=30)
    desk.add_citizen_message(ticket_id, "Có cần bản sao không ạ?")
    clock.advance(minutes=5)
    desk.add_citizen_message(ticket_id, "Và lệ phí bao nhiêu?")
    assert waiting_since(desk.engine, [ticket_id]) == {ticket_id: asked_again}

    clock.advance(minutes=1)
    desk.set_waiting(ticket_id, people["an"])
    assert waiting_since(desk.engine, [ticket_id]) == {ticket_id: None}  # the office waits for the citizen


def test_a_failed_send_is_not_an_answer(desk, people, clock):
    ticket_id = _open(desk, "c1")
    desk.claim(ticket_id, people["an"])
    clock.advance(minutes=3)
    desk.record_reply(ticket_id, people["an"], "Dạ, anh/chị chờ chút ạ.", False, {"error": "ngoài 7 ngày"})
    assert waiting_since(desk.engine, [ticket_id]) == {ticket_id: START}


NOW = datetime(2026, 3, 4, 9, 0, tzinfo=timezone.utc)  # Wednesday 16:00 in Vietnam


@pytest.mark.parametrize(("since", "words"), [
    (NOW - timedelta(seconds=20), "vừa xong"),
    (NOW - timedelta(minutes=35), "35 phút"),
    (NOW - timedelta(hours=2, minutes=50), "2 giờ"),
    (NOW - timedelta(hours=8, minutes=30), "8 giờ"),  # 07:30 today
    (datetime(2026, 3, 3, 9, 40, tzinfo=timezone.utc), "hôm qua 16:40"),
    (datetime(2026, 3, 3, 17, 30, tzinfo=timezone.utc), "15 giờ"),  # 00:30 today in Vietnam
    (datetime(2026, 3, 3, 16, 30, tzinfo=timezone.utc), "hôm qua 23:30"),
    (datetime(2026, 2, 27, 2, 10, tzinfo=timezone.utc), "27/02 09:10 (5 ngày)"),
])
def test_how_long_in_words_in_vietnam_time(since, words):
    assert waited_phrase(since, NOW) == words


def test_a_few_hours_across_midnight_are_hours_not_yesterday():
    late = datetime(2026, 3, 4, 18, 0, tzinfo=timezone.utc)  # 01:00 on Thursday in Vietnam
    assert waited_phrase(late - timedelta(hours=3), late) == "3 giờ"

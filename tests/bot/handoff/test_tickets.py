"""Tickets on SQLite and PostgreSQL: one open per citizen, claim race, transfer, resolve, cancel."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from bot.handoff import tickets as t
from bot.handoff.audit import recent
from bot.handoff.office_hours import VIETNAM
from bot.handoff.errors import ClaimFirst, HeldByOther, ReasonRequired, TicketClosed
from bot.handoff.tickets import Forbidden, HistoryLine

THURSDAY_9 = datetime(2026, 11, 26, 9, 0, tzinfo=VIETNAM)


def _open(desk, citizen="u1", department="tu_phap_ho_tich", text="con tôi sinh ở nước ngoài, đăng ký khai sinh thế nào?"):
    return desk.open_ticket(citizen, "zalo", text, department, "Trợ lý không chắc câu trả lời", "Nguyễn Văn Dân",
                            [HistoryLine(t.CITIZEN, "xin chào"), HistoryLine(t.BOT, "Xin chào anh/chị!")])


def test_a_ticket_keeps_the_conversation_the_question_and_a_due_time(desk):
    desk.clock = lambda: THURSDAY_9
    opened = _open(desk)
    assert opened.created and opened.ticket.status == t.NEW and opened.ticket.is_open
    assert opened.ticket.due_at == datetime(2026, 11, 26, 15, 0, tzinfo=VIETNAM)
    assert opened.when == "trong giờ làm việc hôm nay, chậm nhất 15h00"
    assert opened.department.name == "Tư pháp – Hộ tịch"
    kinds = [(e.kind, e.text) for e in desk.events(opened.ticket.id)]
    assert kinds[:2] == [(t.CITIZEN, "xin chào"), (t.BOT, "Xin chào anh/chị!")]
    assert kinds[2][0] == t.OPENED and kinds[3] == (t.CITIZEN, opened.ticket.question)


def test_one_open_ticket_per_citizen_later_messages_join_it(desk):
    first = _open(desk)
    again = _open(desk, text="cho em hỏi thêm")
    assert not again.created and again.ticket.id == first.ticket.id
    assert desk.events(first.ticket.id)[-1].text == "cho em hỏi thêm"


def test_an_unknown_department_goes_to_the_general_queue(desk):
    assert _open(desk, department="khong_co").ticket.department_code == "van_phong"


def test_concurrent_claims_exactly_one_wins_and_the_other_learns_who(desk, people):
    current = _open(desk).ticket
    results, barrier = {}, threading.Barrier(2)

    def claim(name):
        barrier.wait()
        results[name] = desk.claim(current.id, people[name])

    threads = [threading.Thread(target=claim, args=(n,)) for n in ("an", "binh")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [n for n, r in results.items() if r.won]
    assert len(winners) == 1
    holder = people[winners[0]].display_name
    assert all(r.holder_name == holder for r in results.values())
    assert desk.get(current.id).status == t.IN_PROGRESS
    assert sum(e.kind == t.CLAIMED for e in desk.events(current.id)) == 1


def test_officers_of_another_department_cannot_see_or_claim(desk, people):
    current = _open(desk).ticket
    with pytest.raises(Forbidden):
        desk.claim(current.id, people["cuong"])
    with pytest.raises(Forbidden):
        desk.add_note(current.id, people["cuong"], "xem thử")
    assert desk.queue(t.visible_departments(people["cuong"])) == []
    assert [x.id for x in desk.queue(t.visible_departments(people["lan"]))] == [current.id]


def test_only_the_holder_acts_leaders_read_until_they_claim(desk, people):
    current = _open(desk).ticket
    with pytest.raises(ClaimFirst):
        desk.resolve(current.id, people["an"])
    desk.claim(current.id, people["an"])
    with pytest.raises(HeldByOther) as held:
        desk.resolve(current.id, people["lan"])
    assert held.value.code == "held_by_other" and held.value.params == {"holder": "Nguyễn Văn An"}
    desk.resolve(current.id, people["an"])
    closed = desk.get(current.id)
    assert closed.status == t.DONE and closed.closed_reason == t.RESOLVED
    assert desk.open_for("u1") is None


def test_transfer_needs_a_reason_moves_the_ticket_and_frees_it(desk, people):
    current = _open(desk).ticket
    desk.claim(current.id, people["an"])
    with pytest.raises(ReasonRequired):
        desk.transfer(current.id, people["an"], "cong_an", " ")
    desk.transfer(current.id, people["an"], "cong_an", "Hỏi về căn cước, không phải hộ tịch")
    moved = desk.get(current.id)
    assert (moved.department_code, moved.holder_id, moved.status) == ("cong_an", None, t.NEW)
    assert desk.queue(["tu_phap_ho_tich"]) == [] and [x.id for x in desk.queue(["cong_an"])] == [current.id]
    with pytest.raises(Forbidden):
        desk.add_note(current.id, people["an"], "còn xem được không?")
    event = desk.events(current.id)[-1]
    assert event.kind == t.TRANSFERRED and event.data == {"from": "tu_phap_ho_tich", "to": "cong_an"}


def test_a_citizen_cancels_and_the_ticket_closes(desk):
    current = _open(desk).ticket
    desk.cancel_by_citizen(current.id)
    assert desk.get(current.id).closed_reason == t.CANCELLED and desk.open_for("u1") is None
    with pytest.raises(TicketClosed):
        desk.cancel_by_citizen(current.id)
    assert _open(desk).created  # a new question later opens a new ticket


def test_waiting_for_the_citizen_returns_to_in_progress_when_they_write(desk, people):
    current = _open(desk).ticket
    desk.claim(current.id, people["an"])
    desk.set_waiting(current.id, people["an"])
    assert desk.get(current.id).status == t.WAITING_CITIZEN
    desk.add_citizen_message(current.id, "em gửi thêm thông tin ạ")
    assert desk.get(current.id).status == t.IN_PROGRESS


def test_an_officer_in_zalos_own_tool_opens_a_ticket_in_the_general_queue(desk):
    held = desk.officer_wrote_in_zalo("u9", "Chào anh, tôi là cán bộ xã", "8812345", "Công dân")
    assert held.department_code == "van_phong" and held.status == t.IN_PROGRESS
    assert desk.events(held.id)[-1].kind == t.OFFICER_IN_ZALO


def test_every_staff_action_is_audited(desk, people):
    current = _open(desk).ticket
    desk.claim(current.id, people["an"])
    desk.add_note(current.id, people["an"], "Đã gọi điện cho công dân")
    desk.resolve(current.id, people["an"])
    actions = [(r["username"], r["action"]) for r in reversed(recent(desk.engine, ticket_id=current.id))]
    assert actions == [("an", "ticket.claim"), ("an", "ticket.note"), ("an", "ticket.resolved")]


def test_queue_is_ordered_by_due_time_and_flags_urgency(desk):
    desk.clock = lambda: THURSDAY_9
    late = _open(desk, citizen="late").ticket
    desk.clock = lambda: datetime(2026, 11, 26, 10, 0, tzinfo=VIETNAM)
    later = _open(desk, citizen="later").ticket
    assert [x.id for x in desk.queue(["tu_phap_ho_tich"])] == [late.id, later.id]
    assert late.urgency(datetime(2026, 11, 26, 14, 30, tzinfo=VIETNAM)) == "due_soon"
    assert late.urgency(datetime(2026, 11, 26, 15, 0, tzinfo=VIETNAM)) == "overdue"
    assert later.urgency(datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)) == "overdue"  # 19:00 in Hà Nội

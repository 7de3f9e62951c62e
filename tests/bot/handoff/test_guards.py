"""State changes decided on a stale read change nothing (SQLite and PostgreSQL).

Each test lets another officer's action land between the desk's read of a ticket and its
UPDATE (`interleave`), the window a concurrent request has in production, then checks that the
ticket, `open_citizen` and the audit log agree. Before the guards, a transfer after a resolve
put the ticket back to "new" with its citizen released (issue 19).
"""
from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.db import ticket
from bot.handoff import tickets as t
from bot.handoff.audit import recent
from bot.handoff.errors import TicketChanged, TicketClosed
from bot.handoff.tickets import TicketDesk

CITIZEN = "u-guard"


def _open(desk: TicketDesk, citizen: str = CITIZEN) -> t.Ticket:
    return desk.open_ticket(citizen, "zalo", "cho hỏi đăng ký khai sinh", "tu_phap_ho_tich", "Trợ lý không chắc").ticket


def interleave(desk: TicketDesk, other: Callable[[], None]) -> None:
    """Run `other` once, right after the desk's next read of a ticket (before it writes)."""
    real_get = desk.get
    pending = [other]

    def get_then_interleave(ticket_id, *, conn=None):
        current = real_get(ticket_id, conn=conn)
        if pending:
            pending.pop()()
        return current

    desk.get = get_then_interleave


def _stored(desk: TicketDesk, ticket_id: int):
    with desk.engine.connect() as conn:
        return conn.execute(select(ticket.c.status, ticket.c.open_citizen, ticket.c.department_code, ticket.c.holder_id)
                            .where(ticket.c.id == ticket_id)).one()


def _actions(desk: TicketDesk, ticket_id: int) -> list[str]:
    return [r["action"] for r in reversed(recent(desk.engine, ticket_id=ticket_id))]


def _events(desk: TicketDesk, ticket_id: int) -> list[str]:
    return [e.kind for e in desk.events(ticket_id) if e.kind not in (t.CITIZEN, t.OPENED)]


def test_a_transfer_decided_before_a_resolve_does_not_reopen_the_ticket(desk, people):
    """The bug: resolve, then a stale transfer set status "new" and kept open_citizen empty."""
    current = _open(desk)
    desk.claim(current.id, people["an"])
    other = TicketDesk(desk.engine, desk.departments)
    interleave(desk, lambda: other.resolve(current.id, people["an"]))
    with pytest.raises(TicketClosed):
        desk.transfer(current.id, people["an"], "cong_an", "Hỏi về căn cước")
    assert tuple(_stored(desk, current.id)) == (t.DONE, None, "tu_phap_ho_tich", people["an"].id)
    assert _actions(desk, current.id) == ["ticket.claim", "ticket.resolved"]
    assert _events(desk, current.id) == [t.CLAIMED, t.CLOSED]
    assert desk.open_for(CITIZEN) is None


def test_of_two_transfers_decided_together_only_the_first_moves_the_ticket(desk, people):
    current = _open(desk)
    desk.claim(current.id, people["an"])
    other = TicketDesk(desk.engine, desk.departments)
    interleave(desk, lambda: other.transfer(current.id, people["an"], "dia_chinh_xay_dung", "Việc đất đai"))
    with pytest.raises(TicketChanged):
        desk.transfer(current.id, people["an"], "cong_an", "Hỏi về căn cước")
    status, open_citizen, department, holder = _stored(desk, current.id)
    assert (status, open_citizen, department, holder) == (t.NEW, CITIZEN, "dia_chinh_xay_dung", None)
    assert _actions(desk, current.id) == ["ticket.claim", "ticket.transfer"]
    assert [e.data for e in desk.events(current.id) if e.kind == t.TRANSFERRED] == [
        {"from": "tu_phap_ho_tich", "to": "dia_chinh_xay_dung"}]


def test_waiting_for_the_citizen_after_a_resolve_changes_nothing(desk, people):
    current = _open(desk)
    desk.claim(current.id, people["an"])
    other = TicketDesk(desk.engine, desk.departments)
    interleave(desk, lambda: other.resolve(current.id, people["an"]))
    with pytest.raises(TicketClosed):
        desk.set_waiting(current.id, people["an"])
    assert tuple(_stored(desk, current.id))[:2] == (t.DONE, None)
    assert _actions(desk, current.id) == ["ticket.claim", "ticket.resolved"]
    assert _events(desk, current.id) == [t.CLAIMED, t.CLOSED]


def test_a_resolve_after_the_ticket_was_transferred_away_changes_nothing(desk, people):
    current = _open(desk)
    desk.claim(current.id, people["an"])
    other = TicketDesk(desk.engine, desk.departments)
    interleave(desk, lambda: other.transfer(current.id, people["an"], "cong_an", "Hỏi về căn cước"))
    with pytest.raises(TicketChanged):
        desk.resolve(current.id, people["an"])
    assert tuple(_stored(desk, current.id)) == (t.NEW, CITIZEN, "cong_an", None)
    assert _actions(desk, current.id) == ["ticket.claim", "ticket.transfer"]


def test_a_citizen_cancelling_while_an_officer_resolves_closes_once(desk, people):
    current = _open(desk)
    desk.claim(current.id, people["an"])
    other = TicketDesk(desk.engine, desk.departments)
    interleave(desk, lambda: other.cancel_by_citizen(current.id))
    with pytest.raises(TicketClosed):
        desk.resolve(current.id, people["an"])
    stored = _stored(desk, current.id)
    assert (stored.status, stored.open_citizen) == (t.DONE, None)
    assert desk.get(current.id).closed_reason == t.CANCELLED
    assert _actions(desk, current.id) == ["ticket.claim", "ticket.cancelled_by_citizen"]


def test_a_citizen_message_to_a_ticket_closed_meanwhile_is_refused_not_lost_in_it(desk, people):
    current = _open(desk)
    desk.claim(current.id, people["an"])
    desk.resolve(current.id, people["an"])
    with pytest.raises(TicketClosed):
        desk.add_citizen_message(current.id, "em hỏi thêm")
    assert desk.events(current.id)[-1].kind == t.CLOSED


def test_claiming_a_ticket_closed_meanwhile_says_it_is_closed(desk, people):
    current = _open(desk)
    interleave(desk, lambda: TicketDesk(desk.engine, desk.departments).cancel_by_citizen(current.id))
    with pytest.raises(TicketClosed):
        desk.claim(current.id, people["an"])
    assert _actions(desk, current.id) == ["ticket.cancelled_by_citizen"]


def test_concurrent_first_messages_of_a_citizen_open_one_ticket(desk):
    barrier, opened, errors = threading.Barrier(4), [], []

    def open_one(n: int) -> None:
        barrier.wait()
        try:
            opened.append(desk.open_ticket(CITIZEN, "zalo", f"câu hỏi {n}", "tu_phap_ho_tich", "lý do"))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_one, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({o.ticket.id for o in opened}) == 1 and sum(o.created for o in opened) == 1
    texts = sorted(e.text for e in desk.events(opened[0].ticket.id) if e.kind == t.CITIZEN)
    assert texts == [f"câu hỏi {n}" for n in range(4)]


# ---- inside a caller's transaction
def test_a_turn_that_rolls_back_leaves_no_ticket_and_no_event(desk):
    with desk.engine.connect() as conn:
        outer = conn.begin()
        opened = desk.open_ticket(CITIZEN, "zalo", "cho tôi gặp cán bộ", "tu_phap_ho_tich", "lý do", conn=conn)
        desk.add_bot_message(opened.ticket.id, "Dạ, đã chuyển cán bộ.", conn=conn)
        assert desk.open_for(CITIZEN, conn=conn).id == opened.ticket.id  # the turn sees its own writes
        outer.rollback()
    assert desk.open_for(CITIZEN) is None
    with desk.engine.connect() as conn:
        assert conn.execute(select(ticket.c.id).where(ticket.c.citizen_id == CITIZEN)).first() is None


def test_a_staff_action_and_its_audit_commit_or_roll_back_together(desk, people):
    current = _open(desk)
    with desk.engine.connect() as conn:
        outer = conn.begin()
        desk.claim(current.id, people["an"], conn=conn)
        desk.resolve(current.id, people["an"], conn=conn)
        outer.rollback()
    assert desk.get(current.id).status == t.NEW and _actions(desk, current.id) == []
    with desk.engine.begin() as conn:
        desk.claim(current.id, people["an"], conn=conn)
        desk.resolve(current.id, people["an"], conn=conn)
    assert desk.get(current.id).status == t.DONE
    assert _actions(desk, current.id) == ["ticket.claim", "ticket.resolved"]


def test_an_officer_in_the_channel_and_the_cancel_of_the_same_turn_are_one_transaction(desk):
    with desk.engine.begin() as conn:
        held = desk.officer_wrote_in_channel(CITIZEN, "Chào anh", "88", "Dân", conn=conn)
        desk.cancel_by_citizen(held.id, conn=conn)
    assert desk.get(held.id).closed_reason == t.CANCELLED and desk.open_for(CITIZEN) is None
    assert held.department_code == desk.departments.general_queue().code

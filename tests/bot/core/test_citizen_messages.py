"""One citizen text, from any channel: the decision, the clarify follow-up, the hand-off and the
open-ticket rules, each turn in one transaction."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.conversation import Conversation
from bot.core.citizen_messages import HANDOFFS_PER_MINUTE, ConversationCore
from bot.core.outcome import (
    ADDED_TO_TICKET, ANSWERED, CANCELLED, CLARIFIED, HANDED_OFF, HANDOFF_LIMITED, Citizen,
)
from bot.db import decision_log, ticket, utc_now
from bot.handoff.tickets import BOT, CITIZEN, DONE
from tests.bot.core.conftest import HAND_OFF, Chat

ZALO = Citizen("2512523625412515", "zalo", "Nguyễn Văn An")
REST = Citizen("rest:an", "rest")


def _decisions(engine, citizen_id: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(decision_log.c.decision).where(decision_log.c.sender_id == citizen_id)
                                 .order_by(decision_log.c.id)).scalars())


def _tickets(engine, citizen_id: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ticket).where(ticket.c.citizen_id == citizen_id)).scalar_one()


def test_an_answer_is_replied_and_its_decision_recorded(core, desk):
    outcome = Chat(core, REST).say("làm giấy khai sinh cần gì")
    assert outcome.kind == ANSWERED and outcome.decision.faq_id == "khai_sinh"
    assert outcome.replies[0] == core.conversation.answer_reply("khai_sinh")
    assert outcome.replies[0].text.startswith(core.conversation.kb.render_answer("khai_sinh"))
    assert _decisions(desk.engine, REST.id) == ["answer"]


def test_the_clarify_choice_is_resolved_once_from_the_dialogue_state(core, desk, kb):
    chat = Chat(core, ZALO)
    offered = chat.say("làm căn cước")
    assert offered.kind == CLARIFIED and offered.state.pending_choices[:2] == ("can_cuoc_cap_moi", "can_cuoc_cap_lai")
    assert [b.payload for b in offered.replies[0].buttons][:2] == ["1", "2"]
    chosen = chat.say("2")
    assert chosen.kind == ANSWERED and chosen.decision.faq_id == "can_cuoc_cap_lai"
    assert chat.state.pending_choices == ()
    # the words of an option pick it too, as the numbered list's title was typed
    chat.say("làm căn cước")
    assert chat.say(kb.faqs["can_cuoc_tre_em"].title).decision.faq_id == "can_cuoc_tre_em"
    assert _decisions(desk.engine, ZALO.id) == ["clarify", "answer", "clarify", "answer"]


def test_a_hand_off_opens_the_ticket_and_says_who_answers_and_when(core, desk):
    chat = Chat(core, ZALO)
    chat.say("xin chào")
    outcome = chat.say(HAND_OFF)
    assert outcome.kind == HANDED_OFF and outcome.ticket_id is not None
    held = desk.get(outcome.ticket_id)
    assert (held.citizen_id, held.channel, held.citizen_name) == (ZALO.id, "zalo", "Nguyễn Văn An")
    assert desk.departments.get(held.department_code).name in outcome.replies[0].text
    events = desk.events(held.id)
    assert (events[-1].kind, events[-1].text) == (BOT, outcome.replies[0].text)
    assert (events[-2].kind, events[-2].text) == (CITIZEN, HAND_OFF)
    assert _decisions(desk.engine, ZALO.id) == ["smalltalk", "handoff"]


def test_while_a_ticket_is_open_messages_join_it_and_the_citizen_is_told_once(core, desk):
    chat = Chat(core, REST)
    opened = chat.say(HAND_OFF)
    first = chat.say("làm giấy khai sinh cần gì")
    assert (first.kind, first.ticket_id) == (ADDED_TO_TICKET, opened.ticket_id)
    department = desk.departments.get(desk.get(opened.ticket_id).department_code).name
    assert first.replies[0].text.startswith(f"Dạ, tôi đã thêm tin nhắn của anh/chị vào yêu cầu #{opened.ticket_id}; {department} sẽ trả lời")
    second = chat.say("con tôi sinh năm 2020")
    assert (second.kind, second.replies) == (ADDED_TO_TICKET, ())  # once, not one per message
    texts = [e.text for e in desk.events(opened.ticket_id)]
    assert texts[-3:] == ["làm giấy khai sinh cần gì", first.replies[0].text, "con tôi sinh năm 2020"]
    assert _decisions(desk.engine, REST.id) == ["handoff"]  # the officer's message is no decision


def test_thoi_khong_can_nua_cancels_the_ticket_and_the_bot_answers_again(core, desk):
    chat = Chat(core, ZALO)
    opened = chat.say(HAND_OFF)
    cancelled = chat.say("thôi không cần nữa ạ")
    assert cancelled.kind == CANCELLED and cancelled.replies[0].text == core.replies.text("handoff_cancelled")
    closed = desk.get(opened.ticket_id)
    assert closed.status == DONE and closed.closed_reason == "cancelled_by_citizen"
    assert desk.events(opened.ticket_id)[-2].text == "thôi không cần nữa ạ"
    assert chat.say("làm giấy khai sinh cần gì").kind == ANSWERED


def test_hand_offs_beyond_the_rate_open_no_ticket_whichever_server_counts(desk, understanding):
    # Two action servers: the count is the database's, so they agree.
    servers = [ConversationCore(desk.engine, Conversation(understanding), desk) for _ in range(2)]
    kinds = []
    for attempt in range(HANDOFFS_PER_MINUTE + 1):
        chat = Chat(servers[attempt % 2], REST)
        kinds.append(chat.say(HAND_OFF).kind)
        chat.say("thôi không cần nữa")
    assert kinds == [HANDED_OFF] * HANDOFFS_PER_MINUTE + [HANDOFF_LIMITED]
    assert _tickets(desk.engine, REST.id) == HANDOFFS_PER_MINUTE
    limited = Chat(servers[0], REST).say(HAND_OFF)
    assert limited.replies[0].text == servers[0].replies.text("handoff_too_often")
    # a minute later the citizen may ask again
    later = ConversationCore(desk.engine, Conversation(understanding), desk, clock=lambda: utc_now() + timedelta(minutes=2))
    assert Chat(later, REST).say(HAND_OFF).kind == HANDED_OFF


def test_a_turn_is_one_transaction_a_failure_after_the_ticket_leaves_nothing(core, desk, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away after the ticket was opened")

    monkeypatch.setattr(desk, "add_bot_message", broken)
    with pytest.raises(RuntimeError):
        Chat(core, ZALO).say(HAND_OFF)
    assert _tickets(desk.engine, ZALO.id) == 0
    assert _decisions(desk.engine, ZALO.id) == []
    assert desk.open_for(ZALO.id) is None


def test_a_failed_decision_log_takes_the_ticket_with_it(core, desk, monkeypatch):
    import bot.core.citizen_messages as citizen_messages

    def broken(*args, **kwargs):
        raise RuntimeError("decision_log refused the row")

    monkeypatch.setattr(citizen_messages, "record_decision", broken)
    with pytest.raises(RuntimeError):
        Chat(core, REST).say(HAND_OFF)
    assert _tickets(desk.engine, REST.id) == 0

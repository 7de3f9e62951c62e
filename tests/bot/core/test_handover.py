"""The hand-over as the citizen sees it (issue 20), on each database: "gặp cán bộ" without a
subject, one general queue, one acknowledgement while waiting, the answer feedback, "xem căn cứ"
and a pending "Ý bạn là…?" that survives "dạ"."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.conversation import NO_SUBJECT_QUESTION, Conversation, DialogueState
from bot.core.citizen_messages import LIVE_EXCHANGE, ConversationCore
from bot.core.outcome import ADDED_TO_TICKET, ANSWERED, CLARIFIED, FEEDBACK, HANDED_OFF, Citizen
from bot.db import answer_feedback, department, utc_now
from bot.faq.unanswered import UnansweredMessages
from bot.handoff.tickets import BOT, CITIZEN
from tests.bot.core.conftest import HAND_OFF, Chat

ZALO = Citizen("2512523625412515", "zalo", "Nguyễn Văn An")
REST = Citizen("rest:an", "rest")
INTERNAL_WORDS = ("từ khóa", "gặp cb", "request_human", "intent", "keyword")


def _officer_words(reason: str) -> None:
    assert not any(w in reason.lower() for w in INTERNAL_WORDS), reason


# ---- 1. "cho tôi gặp cán bộ" with no subject
def test_a_request_without_a_subject_is_asked_once_then_routed_by_the_answer(core, desk):
    chat = Chat(core, ZALO)
    asked = chat.say("cho tôi gặp cán bộ")
    assert asked.kind == CLARIFIED and asked.ticket_id is None and desk.open_for(ZALO.id) is None
    assert asked.replies[0].text.startswith("Dạ, anh/chị cần hỏi về việc gì để tôi chuyển đúng bộ phận?")
    assert chat.state.awaiting_subject
    routed = chat.say("con tôi cần làm căn cước")
    assert routed.kind == HANDED_OFF and not chat.state.awaiting_subject
    held = desk.get(routed.ticket_id)
    assert held.question == "con tôi cần làm căn cước"  # the real need, not "gặp cán bộ"
    assert held.department_code == core.conversation.kb.faqs["can_cuoc_tre_em"].department
    assert held.routing_reason.startswith("Công dân yêu cầu gặp cán bộ. Gần với câu hỏi thường gặp “")
    _officer_words(held.routing_reason)
    assert desk.departments.get(held.department_code).name in routed.replies[0].text


@pytest.mark.parametrize("insisting", ["gặp cán bộ", "cứ chuyển đi", "chuyển luôn", "dạ", "😀"])
def test_a_citizen_who_insists_or_says_nothing_useful_goes_to_the_general_queue_at_once(core, desk, insisting):
    chat = Chat(core, REST)
    chat.say("cho tôi gặp cán bộ")
    routed = chat.say(insisting)
    assert routed.kind == HANDED_OFF
    held = desk.get(routed.ticket_id)
    assert held.department_code == desk.departments.general_queue().code
    assert held.question == NO_SUBJECT_QUESTION
    general = desk.departments.general_queue().name
    assert held.routing_reason == f"Công dân yêu cầu gặp cán bộ. Chưa rõ nội dung: {general} phân loại."


def test_thoi_after_the_subject_question_opens_nothing(core, desk):
    chat = Chat(core, REST)
    chat.say("cho tôi gặp cán bộ")
    outcome = chat.say("thôi")
    assert outcome.kind == ANSWERED and outcome.replies[0].text == core.replies.text("never_mind")
    assert desk.open_for(REST.id) is None and chat.state == DialogueState()


def test_a_request_that_names_its_subject_is_routed_at_once_in_officer_words(core, desk):
    outcome = Chat(core, ZALO).say(HAND_OFF)
    assert outcome.kind == HANDED_OFF
    held = desk.get(outcome.ticket_id)
    assert held.department_code == "dia_chinh_xay_dung" and held.question == HAND_OFF
    assert held.routing_reason == "Công dân yêu cầu gặp cán bộ. Câu hỏi nói về đất đai, việc của Địa chính – Xây dựng."
    _officer_words(held.routing_reason)


# ---- 2. the general queue is the table's, everywhere
@pytest.fixture
def police_triage(desk):
    with desk.engine.begin() as conn:
        conn.execute(update(department).values(is_general_queue=department.c.code == "cong_an"))
    yield desk
    with desk.engine.begin() as conn:
        conn.execute(update(department).values(is_general_queue=department.c.code == "van_phong"))


def test_every_request_without_a_topic_goes_to_the_department_flagged_as_general_queue(core, police_triage, channel_events):
    desk = police_triage
    chat = Chat(core, REST)
    chat.say("cho tôi gặp cán bộ")
    no_subject = desk.get(chat.say("chuyển luôn").ticket_id)
    failed = desk.get(channel_events.message_failed(ZALO, "?").ticket_id)
    first, second = Chat(core, Citizen("rest:binh", "rest")), None
    first.say("???")
    second = first.say("😀")  # two turns not understood: handed off
    repeated = desk.get(second.ticket_id)
    assert {no_subject.department_code, failed.department_code, repeated.department_code} == {"cong_an"}
    assert "Công an xã phân loại" in repeated.routing_reason


# ---- 3. one acknowledgement while a ticket is open
class Clock:
    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self):
        return self.now


def test_one_acknowledgement_until_an_officer_replies_then_one_more_after_a_pause(desk, understanding, channel_events):
    clock = Clock()
    core = ConversationCore(desk.engine, Conversation(understanding), desk, clock=clock)
    chat = Chat(core, ZALO)
    opened = chat.say(HAND_OFF)
    told = [bool(chat.say(text).replies) for text in ("thêm thông tin 1", "thêm thông tin 2", "thêm thông tin 3")]
    assert told == [True, False, False]
    channel_events.officer_wrote(ZALO, "Anh cho tôi xin số điện thoại", "admin-1")
    # answering the officer a moment later: a live exchange, no bot line between them
    assert chat.say("0912 345 678").replies == ()
    channel_events.officer_wrote(ZALO, "Tôi sẽ kiểm tra và trả lời anh", "admin-1")
    clock.now += LIVE_EXCHANGE + timedelta(minutes=1)
    again = chat.say("có kết quả chưa ạ")
    assert again.kind == ADDED_TO_TICKET and again.replies[0].text.startswith(f"Dạ, tôi đã thêm tin nhắn của anh/chị vào yêu cầu #{opened.ticket_id};")
    assert chat.say("cảm ơn").replies == ()
    bots = [e for e in desk.events(opened.ticket_id) if e.kind == BOT]
    assert sum(1 for e in bots if e.data.get("acknowledgement")) == 2


def test_an_overdue_request_promises_as_soon_as_possible(desk, understanding):
    clock = Clock()
    core = ConversationCore(desk.engine, Conversation(understanding), desk, clock=clock)
    chat = Chat(core, REST)
    opened = chat.say(HAND_OFF)
    clock.now = desk.get(opened.ticket_id).due_at + timedelta(hours=1)
    assert "sẽ trả lời anh/chị ngay tại đây sớm nhất có thể" in chat.say("sao lâu vậy").replies[0].text


# ---- 6. "Câu trả lời có giúp được anh/chị không?"
def _feedback(engine):
    with engine.connect() as conn:
        return [(r.faq_id, r.helpful) for r in conn.execute(select(answer_feedback).order_by(answer_feedback.c.id))]


def test_an_answer_asks_whether_it_helped_within_the_message_limit(core, kb):
    for faq_id in kb.faqs:
        reply = core.conversation.answer_reply(faq_id)
        assert len(reply.text) <= 2000
    reply = core.conversation.answer_reply("khai_sinh")
    assert reply.text.endswith(core.replies.text("answer_feedback_question"))
    assert [(b.title, b.payload) for b in reply.buttons] == [("Có", "Có"), ("Không", "Không")]


@pytest.mark.parametrize(("said", "helpful"), [("Có", True), ("dạ có ạ", True), ("Không", False), ("ko", False)])
def test_yes_or_no_after_an_answer_is_stored_and_never_opens_a_ticket(core, desk, said, helpful):
    chat = Chat(core, ZALO)
    answered = chat.say("làm giấy khai sinh cần gì")
    assert answered.kind == ANSWERED and chat.state.feedback_decision is not None
    outcome = chat.say(said)
    assert outcome.kind == FEEDBACK and chat.state.feedback_decision is None
    assert outcome.replies[0].text == core.replies.text("answer_feedback_yes" if helpful else "answer_feedback_no")
    assert _feedback(desk.engine) == [("khai_sinh", helpful)]
    assert desk.open_for(ZALO.id) is None
    review = [m for m in UnansweredMessages(desk.engine).messages() if m.text == "làm giấy khai sinh cần gì"]
    assert [(m.decision, m.faq_id) for m in review] == ([("answer", "khai_sinh")] if not helpful else [])


def test_a_citizen_who_ignores_the_question_and_asks_something_else_is_simply_answered(core, desk):
    chat = Chat(core, REST)
    chat.say("làm giấy khai sinh cần gì")
    outcome = chat.say("con tôi cần làm căn cước")
    assert outcome.kind == ANSWERED and outcome.decision.faq_id == "can_cuoc_tre_em"
    assert _feedback(desk.engine) == []


def test_the_unanswered_page_groups_dissatisfied_answers_with_their_faq(core, desk):
    for citizen in (Citizen("rest:a", "rest"), Citizen("rest:b", "rest")):
        chat = Chat(core, citizen)
        chat.say("làm giấy khai sinh cần gì")
        chat.say("không")
    groups = UnansweredMessages(desk.engine).groups()
    group = next(g for g in groups if g.examples[0].text == "làm giấy khai sinh cần gì")
    assert group.count == 2 and group.unhelpful_answers == ("khai_sinh",) and group.decisions == {"answer": 2}


# ---- 7. "xem căn cứ", and "dạ" after "Ý bạn là…?"
def test_xem_can_cu_shows_the_last_answers_full_legal_basis(core, kb):
    chat = Chat(core, ZALO)
    assert chat.say("xem căn cứ").replies[0].text == core.replies.text("full_basis_which")
    chat.say("làm giấy khai sinh cần gì")
    basis = chat.say("xem căn cứ")
    assert basis.replies[0].text == kb.render_legal_basis_full("khai_sinh")
    assert chat.state.last_faq == "khai_sinh" and chat.state.feedback_decision is not None
    assert chat.say("Xem căn cứ pháp lý").replies[0].text == kb.render_legal_basis_full("khai_sinh")


def test_a_pending_choice_survives_an_acknowledgement_and_not_a_never_mind(core):
    chat = Chat(core, REST)
    offered = chat.say("làm căn cước")
    assert chat.say("dạ").kind == ANSWERED and chat.state.pending_choices == offered.state.pending_choices
    assert chat.say("2").decision.faq_id == "can_cuoc_cap_lai"
    chat.say("làm căn cước")
    chat.say("thôi")
    assert chat.state.pending_choices == ()
    assert chat.say("2").decision.faq_id is None


def test_the_history_before_the_subject_keeps_the_request_line(core, desk):
    """Through a channel the tracker's lines come along: the request stays in the ticket's history."""
    from bot.core.history import history_from_events

    events = [{"event": "user", "text": "cho tôi gặp cán bộ", "timestamp": 1},
              {"event": "bot", "text": core.replies.text("ask_subject"), "timestamp": 2},
              {"event": "user", "text": "con tôi cần làm căn cước", "timestamp": 3}]
    from tests.bot.core.conftest import ranking
    outcome = core.handle_citizen_message(ZALO, "con tôi cần làm căn cước", ranking("con tôi cần làm căn cước"),
                                          DialogueState(awaiting_subject=True), history_from_events(events))
    lines = [(e.kind, e.text) for e in desk.events(outcome.ticket_id) if e.kind in (CITIZEN, BOT)]
    assert lines[:3] == [(CITIZEN, "cho tôi gặp cán bộ"), (BOT, core.replies.text("ask_subject")),
                         (CITIZEN, "con tôi cần làm căn cước")]


# ---- the reports read what the conversation stores (issue 18)
def test_the_report_counts_the_rating_and_the_answer_feedback_the_conversation_stored(core, desk):
    from bot.core import satisfaction
    from bot.handoff.staff import OFFICER, StaffDirectory
    from bot.reports.figures import compute
    from bot.reports.periods import period_for, vietnam_today
    from tests.bot.core.test_channels_agree import audit_log, staff, staff_role, staff_session, ticket, ticket_event
    from sqlalchemy import delete

    chat = Chat(core, REST)
    chat.say("làm giấy khai sinh cần gì")
    chat.say("không")
    opened = chat.say(HAND_OFF)
    held = desk.get(opened.ticket_id)
    officer = StaffDirectory(desk.engine).create("cb_report", "Lê Thị Hoa", "mat-khau-dai-123", OFFICER, held.department_code)
    try:
        desk.claim(held.id, officer)
        desk.resolve(held.id, officer)
        with desk.engine.begin() as conn:
            satisfaction.ask_rating(conn, held.id)
        assert chat.say("Chưa hài lòng").kind == FEEDBACK
        assert chat.say("không").kind == FEEDBACK  # no comment: nothing more is asked
        now = utc_now()
        figures = compute(desk.engine, period_for("thang-nay", vietnam_today(now)), now=now + timedelta(seconds=1))
        (line,) = [d for d in figures.departments if d.code == held.department_code]
        assert (line.ratings, line.rating_average) == (1, 1.0)
        assert (figures.helpful, figures.not_helpful) == (0, 1)
        assert [f.faq_id for f in figures.unhelpful_faqs] == ["khai_sinh"]
    finally:
        with desk.engine.begin() as conn:
            for table in (ticket_event, ticket, audit_log, staff_session, staff_role, staff):
                conn.execute(delete(table))


def test_erasure_and_retention_blank_the_citizens_comment_and_keep_the_rating(core, desk):
    """The comment is the citizen's own words (Nghị định 13/2023): erased with them; the figure stays."""
    from sqlalchemy import delete

    from bot.core import satisfaction
    from bot.db import citizen_erasure, ticket
    from bot.privacy import WITHDRAW, erase_citizen, purge_expired

    def rated(citizen: Citizen) -> int:
        chat = Chat(core, citizen)
        opened = chat.say(HAND_OFF)
        with desk.engine.begin() as conn:
            conn.execute(update(ticket).where(ticket.c.id == opened.ticket_id).values(
                status="done", open_citizen=None, closed_at=utc_now() - timedelta(days=1)))
            satisfaction.ask_rating(conn, opened.ticket_id)
        chat.say("2")
        chat.say("nên có thêm số điện thoại của cán bộ")
        return opened.ticket_id

    def row(ticket_id: int):
        with desk.engine.connect() as conn:
            return conn.execute(select(ticket.c.rating, ticket.c.rating_comment).where(ticket.c.id == ticket_id)).one()

    erased, kept = rated(ZALO), rated(REST)
    assert tuple(row(erased)) == (3, "nên có thêm số điện thoại của cán bộ")
    erase_citizen(desk.engine, ZALO.id, WITHDRAW, "")
    assert tuple(row(erased)) == (3, None)
    purge_expired(desk.engine, now=utc_now() + timedelta(days=3650))
    assert tuple(row(kept)) == (3, None)
    with desk.engine.begin() as conn:
        conn.execute(delete(citizen_erasure))

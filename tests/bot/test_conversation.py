import pytest

from bot.conversation import Conversation, DialogueState, resolve_choice
from bot.decision import ANSWER, CLARIFY, HANDOFF, OUT_OF_SCOPE, IntentScore

CAN_CUOC = ("can_cuoc_cap_moi", "can_cuoc_cap_lai", "can_cuoc_tre_em")
AMBIGUOUS = (
    IntentScore("faq_can_cuoc_cap_moi", 0.40),
    IntentScore("faq_can_cuoc_cap_lai", 0.35),
    IntentScore("faq_can_cuoc_tre_em", 0.20),
)


@pytest.fixture(scope="module")
def conversation(understanding):
    return Conversation(understanding)


def test_clarify_offers_numbered_options_then_a_number_picks_one(conversation):
    turn = conversation.respond("làm căn cước", AMBIGUOUS, DialogueState())
    assert turn.decision.kind == CLARIFY
    text = turn.replies[0].text
    assert text.startswith("Ý anh/chị là…?")
    assert "1. " in text and "2. " in text
    assert [b.payload for b in turn.replies[0].buttons][:2] == ["1", "2"]

    chosen = conversation.respond("2", (), turn.state)
    assert (chosen.decision.kind, chosen.decision.faq_id) == (ANSWER, turn.state.pending_choices[1])
    assert chosen.state == DialogueState(last_faq=turn.state.pending_choices[1])


def test_an_option_can_be_picked_by_its_words(conversation, kb):
    state = DialogueState(pending_choices=CAN_CUOC)
    title = kb.faqs["can_cuoc_tre_em"].title
    turn = conversation.respond(title.lower(), (), state)
    assert turn.decision.faq_id == "can_cuoc_tre_em"


def test_a_number_outside_a_clarify_is_not_understood(conversation):
    turn = conversation.respond("1", (IntentScore("faq_khai_sinh", 0.9),), DialogueState())
    assert turn.decision.kind == OUT_OF_SCOPE and turn.decision.intent == "nlu_fallback"
    assert "chưa hiểu" in turn.replies[0].text


def test_two_turns_not_understood_hand_off(conversation):
    first = conversation.respond("😀", (), DialogueState())
    second = conversation.respond("???", (), first.state)
    assert first.decision.kind == OUT_OF_SCOPE
    assert second.decision.kind == HANDOFF and second.decision.reason == "repeated_failure"
    assert "cán bộ" in second.replies[0].text


def test_handoff_reply_names_the_department_and_hours(conversation, kb):
    turn = conversation.respond("cho tôi gặp cán bộ hỏi về giờ làm việc", (IntentScore("request_human", 0.99),), DialogueState())
    assert turn.decision.kind == HANDOFF
    assert kb.department_name("van_phong") in turn.replies[0].text
    assert kb.unit["office_hours"] in turn.replies[0].text


@pytest.mark.parametrize("reply", ["4", "không biết", ""])
def test_a_reply_that_picks_nothing_is_decided_afresh(reply):
    assert resolve_choice(reply, CAN_CUOC, {}) is None


def test_answer_fits_one_zalo_message(conversation, kb):
    for faq_id in kb.faqs:
        assert len(kb.render_answer(faq_id)) <= 2000


def test_a_case_the_answer_does_not_cover_is_said_honestly(conversation, kb):
    ranking = (IntentScore("faq_ket_hon", 0.95), IntentScore("faq_khai_sinh", 0.02))
    turn = conversation.respond("em lấy chồng Hàn Quốc thì đăng ký kết hôn ở đâu", ranking, DialogueState())
    assert turn.decision.kind == HANDOFF and turn.decision.candidates[0] == "ket_hon"
    text = turn.replies[0].text
    assert f"“{kb.faqs['ket_hon'].title}” chưa nói tới trường hợp có yếu tố nước ngoài" in text
    assert kb.department_name("tu_phap_ho_tich") in text


def test_a_case_the_model_finds_uncovered_is_said_without_naming_it(conversation, kb):
    ranking = (IntentScore("not_covered", 0.9), IntentScore("faq_giay_phep_xay_dung", 0.05))
    turn = conversation.respond("xin phép xây dựng cho nhà văn hóa thôn", ranking, DialogueState())
    assert turn.decision.kind == HANDOFF
    assert "chưa nói tới trường hợp cụ thể anh/chị hỏi" in turn.replies[0].text


def test_a_detail_the_answer_does_not_give_is_said_honestly(conversation, kb):
    ranking = (IntentScore("faq_dang_ky_xe", 0.98), IntentScore("not_covered", 0.01))
    turn = conversation.respond("lệ phí trước bạ xe máy là mấy phần trăm giá xe", ranking, DialogueState())
    assert turn.decision.kind == HANDOFF and turn.decision.reason == "not_covered:dang_ky_xe:percent"
    assert f"“{kb.faqs['dang_ky_xe'].title}” chưa nói tới tỷ lệ phần trăm cụ thể" in turn.replies[0].text


def test_ten_thousand_letters_are_not_understood_whatever_the_model_says(conversation):
    turn = conversation.respond("x" * 10_000, (IntentScore("faq_dia_chi_mot_cua", 0.9),), DialogueState())
    assert turn.decision.kind == OUT_OF_SCOPE and "chưa hiểu" in turn.replies[0].text

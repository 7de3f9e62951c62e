"""Short acknowledgements, thanks and "never mind" get a short reply, not a refusal (issue 20)."""
import io
import json

import pytest

from bot.acknowledgement import ACKNOWLEDGE, NEVER_MIND, THANKS, acknowledgement
from bot.classify import run
from bot.conversation import Conversation, DialogueState
from bot.decision import CLARIFY, SMALLTALK, IntentScore

# What the model said of "ok" before: confidently out of scope, so the citizen was refused.
OUT_OF_SCOPE_RANKING = (IntentScore("out_of_scope", 0.9), IntentScore("greet", 0.05))


@pytest.mark.parametrize("text, said", [
    # the forms issue 20 names
    ("ok", ACKNOWLEDGE), ("ừ", ACKNOWLEDGE), ("vâng", ACKNOWLEDGE), ("dạ", ACKNOWLEDGE), ("oke", ACKNOWLEDGE),
    ("cảm ơn nhé", THANKS), ("huỷ", NEVER_MIND), ("hủy", NEVER_MIND), ("thôi", NEVER_MIND),
    # close variants
    ("ok ạ", ACKNOWLEDGE), ("dạ vâng", ACKNOWLEDGE), ("uh", ACKNOWLEDGE), ("ừm", ACKNOWLEDGE),
    ("okie", ACKNOWLEDGE), ("ok em", ACKNOWLEDGE), ("Ok!!!", ACKNOWLEDGE), ("okkk", ACKNOWLEDGE),
    ("Dạaaa", ACKNOWLEDGE), ("ô kê", ACKNOWLEDGE), ("okela", ACKNOWLEDGE), ("vâng ạ", ACKNOWLEDGE),
    ("dạ được rồi ạ", ACKNOWLEDGE), ("hiểu rồi", ACKNOWLEDGE), ("đã rõ", ACKNOWLEDGE), ("ok bạn", ACKNOWLEDGE),
    ("OK", ACKNOWLEDGE), ("  ok  ", ACKNOWLEDGE), ("ok 👍", ACKNOWLEDGE), ("👍", ACKNOWLEDGE), ("👍🏻👍", ACKNOWLEDGE),
    ("cảm ơn", THANKS), ("cám ơn ad nhiều nhé", THANKS), ("tks", THANKS), ("thanks ad", THANKS),
    ("camon", THANKS), ("dạ em cảm ơn ạ", THANKS), ("ok cảm ơn", THANKS), ("🙏", THANKS),
    ("Dạ vâng, tôi nắm rõ rồi, cảm ơn cháu nhiều", THANKS), ("thôi, cảm ơn", THANKS),
    ("thôi được rồi", NEVER_MIND), ("không cần nữa", NEVER_MIND), ("ko cần nữa", NEVER_MIND),
    ("k cần nữa đâu", NEVER_MIND),
    ("thôi không cần nữa", NEVER_MIND), ("thui", NEVER_MIND), ("huỷ yêu cầu", NEVER_MIND),
    ("ok thôi", NEVER_MIND), ("thôi bỏ qua đi", NEVER_MIND), ("thôi bỏ qua", NEVER_MIND),
])
def test_a_message_that_only_acknowledges_is_recognised(text, said):
    assert acknowledgement(text) == said


@pytest.mark.parametrize("text", [
    "ok vậy làm căn cước ở đâu",
    "dạ cho em hỏi khai sinh",
    "dạ cho em hỏi",
    "vâng, thế còn tạm trú thì sao",
    "ok nhưng mất bao lâu",
    "cảm ơn, cho hỏi thêm lệ phí bao nhiêu",
    "thôi cho tôi gặp cán bộ",
    "không cần gặp cán bộ, cho hỏi giờ làm việc",
    "huỷ hồ sơ đăng ký kết hôn thế nào",
    "thôi quốc tịch",
    "thôi việc có được trợ cấp không",
    "ok?", "được không?", "rồi sao?", "ủa vậy hả?",
    "không", "được không", "sao vậy",
    "1", "ok 2", "dạ 2", "số 1",
    "xin chào", "chào ad", "tạm biệt", "thôi chào ad nhé", "bye",
    "căn cước", "khai sinh ok không",
    "", "   ", "😀", "???",
    "ok " * 20,  # long repetition is not a short acknowledgement
])
def test_a_message_with_anything_more_is_left_to_the_model(text):
    assert acknowledgement(text) is None


def test_understanding_answers_an_acknowledgement_as_smalltalk_whatever_the_model_says(understanding):
    for text, intent in (("ok", ACKNOWLEDGE), ("cảm ơn nhé", THANKS), ("thôi", NEVER_MIND)):
        decision = understanding.decide(text, OUT_OF_SCOPE_RANKING)
        assert (decision.kind, decision.intent, decision.faq_id, decision.candidates) == (SMALLTALK, intent, None, ())


def test_a_real_question_still_goes_through_the_model(understanding):
    decision = understanding.decide("ok vậy làm căn cước ở đâu", OUT_OF_SCOPE_RANKING)
    assert decision.intent == "out_of_scope"


@pytest.fixture(scope="module")
def conversation(understanding):
    return Conversation(understanding)


@pytest.mark.parametrize("text, expected", [
    ("ok", "Dạ, anh/chị cần hỏi thêm gì cứ nhắn cho tôi nhé."),
    ("dạ vâng", "Dạ, anh/chị cần hỏi thêm gì cứ nhắn cho tôi nhé."),
    ("thôi", "Dạ, vâng. Khi cần, anh/chị cứ nhắn lại cho tôi nhé."),
    ("không cần nữa", "Dạ, vâng. Khi cần, anh/chị cứ nhắn lại cho tôi nhé."),
])
def test_the_citizen_reads_a_short_acknowledgement_not_a_refusal(conversation, text, expected):
    turn = conversation.respond(text, OUT_OF_SCOPE_RANKING, DialogueState())
    assert [r.text for r in turn.replies] == [expected]
    assert turn.state == DialogueState()


def test_thanks_reads_the_thanks_reply(conversation):
    turn = conversation.respond("cảm ơn nhé", OUT_OF_SCOPE_RANKING, DialogueState())
    reply = turn.replies[0].text
    assert reply.startswith("Dạ, không có gì ạ.") and "chưa hiểu" not in reply and "Xin lỗi" not in reply


def test_never_mind_while_asked_which_one_drops_the_pending_choice(conversation):
    pending = DialogueState(pending_choices=("can_cuoc_cap_moi", "can_cuoc_cap_lai"), failed_turns=1)
    turn = conversation.respond("thôi", (), pending)
    assert turn.decision.kind == SMALLTALK and turn.decision.kind != CLARIFY
    assert turn.state == DialogueState()


def test_classify_keeps_its_contract_for_an_acknowledgement(understanding):
    class OutOfScopeModel:
        def rank(self, text):
            return OUT_OF_SCOPE_RANKING

    out = io.StringIO()
    lines = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in ("ok", "tks", "huỷ"))
    run(io.StringIO(lines), out, OutOfScopeModel(), understanding)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["decision"], r["intent"]) for r in records] == [
        ("smalltalk", ACKNOWLEDGE), ("smalltalk", THANKS), ("smalltalk", NEVER_MIND)]
    assert set(records[0]) == {"text", "decision", "faq_id", "intent", "confidence", "department", "candidates",
                               "latency_ms"}
    assert records[0]["candidates"] == [] and records[0]["faq_id"] is None

import pytest

from bot.decision import (
    ANSWER, CLARIFY, HANDOFF, OUT_OF_SCOPE, SMALLTALK, FaqGuard, FuzzyMatch, IntentScore, Signals,
    decide, load_thresholds,
)
from bot.handoff.seed import seed_general_queue
from bot.understanding import load_understanding

GUARDS = {
    "can_cuoc_cap_moi": FaqGuard("cong_an", ("can cuoc",), ("ho chieu",)),
    "can_cuoc_cap_lai": FaqGuard("cong_an", ("can cuoc",), ()),
    "can_cuoc_tre_em": FaqGuard("cong_an", ("can cuoc",), ()),
    "khai_sinh": FaqGuard("tu_phap_ho_tich", ("khai sinh",), ("cai chinh",)),
    "dvc_tra_cuu_ho_so": FaqGuard("mot_cua", ("tra cuu ho so", "ma ho so"), ()),
}
T = load_thresholds()


def _decide(text, *ranking, fuzzy=()):
    return decide(Signals(text, tuple(IntentScore(n, c) for n, c in ranking), tuple(fuzzy)), GUARDS, T)


def test_confident_faq_with_its_keyword_is_answered():
    d = _decide("lam can cuoc lan dau o dau", ("faq_can_cuoc_cap_moi", 0.93), ("faq_can_cuoc_cap_lai", 0.03))
    assert (d.kind, d.faq_id, d.department) == (ANSWER, "can_cuoc_cap_moi", "cong_an")


def test_without_any_keyword_the_bar_is_higher():
    just_below = T.confidence_without_keyword - 0.05
    assert T.answer_confidence <= just_below
    d = _decide("lam giay to lan dau o dau", ("faq_can_cuoc_cap_moi", just_below), ("faq_khai_sinh", 0.05))
    assert d.kind == HANDOFF and d.reason == "low_confidence"
    d = _decide("lam giay to lan dau o dau", ("faq_can_cuoc_cap_moi", T.confidence_without_keyword), ("faq_khai_sinh", 0.05))
    assert d.kind == ANSWER


def test_an_english_message_without_a_keyword_meets_a_lower_bar():
    # the FAQs' keywords are Vietnamese: an English question seldom has one
    between = (T.english_confidence_without_keyword + T.confidence_without_keyword) / 2
    assert T.answer_confidence <= T.english_confidence_without_keyword < between < T.confidence_without_keyword
    ranking = (IntentScore("faq_dvc_tra_cuu_ho_so", between), IntentScore("faq_khai_sinh", 0.02))
    text = "where can i see how my application is going"
    assert decide(Signals(text, ranking, english=True), GUARDS, T).kind == ANSWER
    assert decide(Signals(text, ranking), GUARDS, T).kind == HANDOFF


def _between_the_keyword_bars():
    return (IntentScore("faq_dvc_tra_cuu_ho_so", (T.english_confidence_without_keyword + T.confidence_without_keyword) / 2),)


def test_the_understanding_tells_an_english_message_from_one_typed_without_diacritics():
    u = load_understanding()
    ranking = _between_the_keyword_bars()
    assert u.signals("I applied last week, where can I check my application online?", ranking).english
    assert not u.signals("toi nop ho so tuan truoc, tra cuu o dau", ranking).english
    assert not u.signals("Tôi nộp hồ sơ tuần trước, tra cứu ở đâu?", ranking).english


@pytest.mark.parametrize("confidence, checked", [(0.3, False), (T.english_confidence_without_keyword, True),
                                                 (T.confidence_without_keyword, False), (0.95, False)])
def test_the_english_check_runs_only_where_it_can_lower_the_bar(confidence, checked):
    ranking = (IntentScore("faq_dvc_tra_cuu_ho_so", confidence), IntentScore("not_covered", 0.01))
    signals = load_understanding().signals("I applied last week, where can I check my application online?", ranking)
    assert signals.english == checked


def test_an_excluded_sub_case_goes_to_a_person():
    d = _decide("cai chinh ten trong giay khai sinh", ("faq_khai_sinh", 0.97))
    assert d.kind == HANDOFF and d.reason.startswith("other_procedure")


def test_an_excluded_sub_case_said_not_to_be_the_case_is_not_one():
    d = _decide("giay khai sinh khong cai chinh gi, lam ban sao o dau", ("faq_khai_sinh", 0.97))
    assert d.kind == ANSWER
    d = _decide("khong biet cai chinh giay khai sinh o dau", ("faq_khai_sinh", 0.97))
    assert d.kind == HANDOFF and d.reason == "other_procedure:cai chinh"


def test_close_candidates_are_clarified():
    d = _decide("lam can cuoc", ("faq_can_cuoc_cap_moi", 0.45), ("faq_can_cuoc_cap_lai", 0.35), ("faq_can_cuoc_tre_em", 0.15))
    assert d.kind == CLARIFY
    assert d.candidates == ("can_cuoc_cap_moi", "can_cuoc_cap_lai", "can_cuoc_tre_em")


def test_low_confidence_hands_off_to_the_likely_department():
    d = _decide("can cuoc gi do", ("faq_can_cuoc_cap_moi", 0.52), ("out_of_scope", 0.4))
    assert d.kind == HANDOFF and d.department == "cong_an"


def test_fuzzy_agreement_lowers_the_bar():
    ranking = (("faq_can_cuoc_cap_moi", 0.50), ("faq_can_cuoc_cap_lai", 0.10))
    assert _decide("lam can cuoc lan dau", *ranking).kind != ANSWER
    agreed = _decide("lam can cuoc lan dau", *ranking, fuzzy=(FuzzyMatch("can_cuoc_cap_moi", 90.0),))
    assert agreed.kind == ANSWER


@pytest.fixture(scope="module")
def understanding():
    return load_understanding()


@pytest.mark.parametrize("confidence, searched", [(0.2, False), (T.confidence_with_fuzzy, True), (0.6, True),
                                                 (T.answer_confidence, False), (0.95, False)])
def test_the_fuzzy_search_runs_only_where_agreement_can_lower_the_bar(understanding, confidence, searched):
    question = understanding.kb.faqs["can_cuoc_cap_moi"].question
    ranking = (IntentScore("faq_can_cuoc_cap_moi", confidence), IntentScore("not_covered", 0.01))
    signals = understanding.signals(question, ranking)
    assert bool(signals.fuzzy) == searched
    if searched:
        assert signals.fuzzy[0].faq_id == "can_cuoc_cap_moi" and signals.fuzzy[0].score == 100


@pytest.mark.parametrize("intent", ["greet", "thanks", "goodbye", "bot_challenge"])
def test_smalltalk(intent):
    d = _decide("xin chao", (intent, 0.9))
    assert d.kind == SMALLTALK and d.intent == intent


@pytest.mark.parametrize("intent", ["request_human", "personal_case", "other_procedure"])
def test_human_intents_hand_off(intent):
    d = _decide("cho gap can bo", (intent, 0.9), ("faq_khai_sinh", 0.05))
    assert d.kind == HANDOFF and d.reason == intent and d.department == "van_phong"


def test_out_of_scope_is_declined():
    assert _decide("gia vang hom nay", ("out_of_scope", 0.95)).kind == OUT_OF_SCOPE


def test_a_file_number_always_goes_to_a_person():
    d = _decide("ho so ma so ho so 000.00.23.h12-240315-0007 lam can cuoc", ("faq_can_cuoc_cap_moi", 0.99))
    assert d.kind == HANDOFF and d.intent == "personal_case"


@pytest.mark.parametrize("text", ["ma ho so cua toi la h12.5678 sao chua xong", "so bien nhan 12345 den dau roi"])
def test_a_receipt_or_file_code_goes_to_a_person(text):
    d = _decide(text, ("faq_dvc_tra_cuu_ho_so", 0.99))
    assert d.kind == HANDOFF and d.intent == "personal_case"


def test_asking_how_to_look_up_a_file_by_its_code_is_answered():
    d = _decide("tra cuu ho so bang ma ho so o dau", ("faq_dvc_tra_cuu_ho_so", 0.95))
    assert d.kind == ANSWER and d.faq_id == "dvc_tra_cuu_ho_so"


@pytest.mark.parametrize("text", ["", "   ", "123", "!!!"])
def test_text_without_words_is_not_understood(text):
    d = _decide(text, ("faq_khai_sinh", 0.99))
    assert d.kind == OUT_OF_SCOPE and d.intent == "nlu_fallback"


def test_no_prediction_hands_off():
    assert _decide("abc").kind == HANDOFF


def test_without_a_general_queue_the_seeded_one_takes_what_has_no_topic():
    assert _decide("abc").department == seed_general_queue()  # the offline fallback, not a code written here
    signals = Signals("abc", (), ())
    assert decide(signals, GUARDS, T, "mot_cua").department == "mot_cua"


def test_a_case_the_answer_does_not_cover_is_handed_to_the_faqs_department():
    d = _decide("ket hon voi nguoi han quoc", ("not_covered", 0.7), ("faq_khai_sinh", 0.2))
    assert (d.kind, d.department, d.reason) == (HANDOFF, "tu_phap_ho_tich", "not_covered:khai_sinh:model")
    assert d.candidates[0] == "khai_sinh"


def test_a_likely_uncovered_case_hands_off_even_below_a_faq():
    just_below = T.not_covered_confidence - 0.01
    d = _decide("lam can cuoc lan dau", ("faq_can_cuoc_cap_moi", 0.75), ("not_covered", just_below))
    assert d.kind == ANSWER
    d = _decide("lam can cuoc lan dau", ("faq_can_cuoc_cap_moi", 0.75), ("not_covered", T.not_covered_confidence))
    assert d.kind == HANDOFF and d.reason.startswith("not_covered:can_cuoc_cap_moi")


def test_a_sub_case_the_faqs_questions_never_name_hands_off():
    ranking = (("faq_can_cuoc_cap_moi", 0.95), ("faq_can_cuoc_cap_lai", 0.02))
    signals = Signals("cong ty lam can cuoc cho cong nhan", tuple(IntentScore(n, c) for n, c in ranking), cues=("organisation",))
    d = decide(signals, GUARDS, T)
    assert (d.kind, d.reason, d.department) == (HANDOFF, "not_covered:can_cuoc_cap_moi:organisation", "cong_an")
    covered = {**GUARDS, "can_cuoc_cap_moi": FaqGuard("cong_an", ("can cuoc",), (), frozenset({"organisation"}))}
    assert decide(signals, covered, T).kind == ANSWER


def test_a_sub_case_the_questions_name_but_the_answer_does_not_hands_off_on_a_faint_sign():
    """Narrative questions ("công ty yêu cầu tôi nộp…") make a class covered by the questions; the
    answer's own `covers` says whether it settles that case. Not declared: a faint `not_covered`
    (uncovered_cue_confidence) is enough to hand off; without it, the passing mention is answered."""
    faint = (("faq_can_cuoc_cap_moi", 0.93), ("not_covered", T.uncovered_cue_confidence))
    none = (("faq_can_cuoc_cap_moi", 0.95), ("not_covered", T.uncovered_cue_confidence / 2))
    by_questions = {**GUARDS, "can_cuoc_cap_moi": FaqGuard("cong_an", ("can cuoc",), (), frozenset({"organisation"}))}
    by_answer = {**GUARDS, "can_cuoc_cap_moi": FaqGuard("cong_an", ("can cuoc",), (), frozenset({"organisation"}),
                                                         frozenset({"organisation"}))}

    def signals(ranking):
        return Signals("cong ty lam can cuoc cho cong nhan", tuple(IntentScore(n, c) for n, c in ranking), cues=("organisation",))

    d = decide(signals(faint), by_questions, T)
    assert (d.kind, d.reason) == (HANDOFF, "not_covered:can_cuoc_cap_moi:organisation")
    assert decide(signals(none), by_questions, T).kind == ANSWER
    assert decide(signals(faint), by_answer, T).kind == ANSWER


def test_a_detail_the_answer_does_not_give_hands_off():
    """A message asking a kind of detail (a percentage, an area, who signs) is answered only by a FAQ
    whose answer's text gives that kind of detail (FaqGuard.answer_gives, read from the answer)."""
    ranking = tuple(IntentScore(n, c) for n, c in (("faq_can_cuoc_cap_moi", 0.97), ("not_covered", 0.0)))
    signals = Signals("le phi lam can cuoc giam may phan tram", ranking, asks=("percent",))
    d = decide(signals, GUARDS, T)
    assert (d.kind, d.reason, d.department) == (HANDOFF, "not_covered:can_cuoc_cap_moi:percent", "cong_an")
    gives = {**GUARDS, "can_cuoc_cap_moi": FaqGuard("cong_an", ("can cuoc",), (), answer_gives=frozenset({"percent"}))}
    assert decide(signals, gives, T).kind == ANSWER


@pytest.mark.parametrize("text", ["x" * 10_000, "khaisinh" * 40])
def test_a_run_of_letters_longer_than_any_word_is_not_understood(text):
    d = _decide(text, ("faq_dia_chi_mot_cua", 0.99))
    assert d.kind == OUT_OF_SCOPE and d.intent == "nlu_fallback"


TOPIC_GUARDS = {
    "ket_hon": FaqGuard("tu_phap_ho_tich", ("ket hon",), (), topic="Hộ tịch"),
    "thuong_tru": FaqGuard("cong_an", ("ho khau", "thuong tru"), (), topic="Cư trú"),
}


def _decide_two(topics, *ranking):
    signals = Signals("ket hon can gi va chuyen ho khau o dau", tuple(IntentScore(n, c) for n, c in ranking),
                      question_topics=topics)
    return decide(signals, TOPIC_GUARDS, T)


def test_a_second_question_on_another_ranked_topic_hands_off():
    ranking = (("faq_thuong_tru", 0.80), ("faq_ket_hon", T.second_question_confidence))
    d = _decide_two((frozenset({"Hộ tịch"}), frozenset({"Cư trú"})), *ranking)
    assert (d.kind, d.reason) == (HANDOFF, "second_question:ket_hon")
    assert set(d.candidates) == {"thuong_tru", "ket_hon"}


def test_a_second_question_the_model_does_not_see_or_on_the_same_topic_is_answered():
    faint = (("faq_thuong_tru", 0.90), ("faq_ket_hon", T.second_question_confidence - 0.01))
    assert _decide_two((frozenset({"Hộ tịch"}), frozenset({"Cư trú"})), *faint).kind == ANSWER
    ranked = (("faq_thuong_tru", 0.80), ("faq_ket_hon", 0.12))
    assert _decide_two((frozenset({"Cư trú", "Hộ tịch"}), frozenset({"Cư trú"})), *ranked).kind == ANSWER
    assert _decide_two((frozenset(), frozenset({"Cư trú"})), *ranked).kind == ANSWER


def test_a_second_question_on_a_topic_the_answer_speaks_of_is_answered():
    ranking = (("faq_thuong_tru", 0.80), ("faq_ket_hon", 0.20))
    topics = (frozenset({"Hộ tịch"}), frozenset({"Cư trú"}))
    guards = {**TOPIC_GUARDS, "thuong_tru": FaqGuard("cong_an", ("ho khau",), (), topic="Cư trú",
                                                     answer_topics=frozenset({"Hộ tịch"}))}
    signals = Signals("ket hon can gi va chuyen ho khau o dau", tuple(IntentScore(n, c) for n, c in ranking),
                      question_topics=topics)
    assert decide(signals, guards, T).kind == ANSWER


def test_two_questions_on_two_topics_are_handed_off_with_both_faqs(understanding):
    text = ("Cho hỏi đăng ký kết hôn cần những giấy tờ gì, và sau khi đăng ký xong thì chuyển hộ khẩu "
            "của vợ về nhà chồng làm ở đâu ạ?")
    d = understanding.decide(text, (IntentScore("faq_thuong_tru", 0.72), IntentScore("faq_ket_hon", 0.13)))
    assert (d.kind, d.reason) == (HANDOFF, "second_question:ket_hon")
    assert d.candidates[:2] == ("thuong_tru", "ket_hon")
    # one question with a passing mention of another topic is answered
    d = understanding.decide("Đăng ký kết hôn xong thì chuyển hộ khẩu cho vợ về nhà chồng làm thế nào?",
                             (IntentScore("faq_thuong_tru", 0.90), IntentScore("faq_ket_hon", 0.05)))
    assert d.kind == ANSWER

import pytest

from bot.faq.negation import negated_at, occurs_unnegated


@pytest.mark.parametrize("text, phrase", [
    (" đất không tranh chấp với ai ", "tranh chấp"),
    (" dat khong co tranh chap ", "tranh chap"),
    (" chồng tôi không phải người nước ngoài ", "người nước ngoài"),
    (" không hề vay nợ ai ", "vay nợ"),
    (" bought it without any dispute ", "dispute"),
    (" xung quanh hàng xóm không ai tranh chấp ", "tranh chấp"),  # nobody disputes it
    (" dat khong co ai tranh chap ", "tranh chap"),
    (" hàng xóm ai cũng biết, chưa bao giờ tranh chấp ", "tranh chấp"),  # never
    (" chua tung bi phat ", "bi phat"),
])
def test_a_phrase_right_after_a_negation_is_denied(text, phrase):
    assert not occurs_unnegated(text, phrase)


@pytest.mark.parametrize("text, phrase", [
    (" đất đang tranh chấp ", "tranh chấp"),
    # "chưa": land not yet taken back is still land in a recovery plan
    (" đất chưa thu hồi nhưng nằm trong quy hoạch ", "thu hồi"),
    # words that fold into a negation's spelling: "chàng", "nợ", "nốt"
    (" anh chàng người hàn ", "người hàn"),
    (" còn nợ thuế đất ", "thuế"),
    (" đóng nốt thuế năm nay ", "thuế"),
    # two words between are too far: "không biết" denies the knowing, not the correction
    (" không biết cải chính ở đâu ", "cải chính"),
    # denied once, named again
    (" không tranh chấp nhưng giờ hàng xóm lại tranh chấp ", "tranh chấp"),
])
def test_a_phrase_not_denied_is_named(text, phrase):
    assert occurs_unnegated(text, phrase)


def test_only_the_whole_word_negates():
    # "trong có" ends like "không có" but is "in … there is"
    text = " nhà tôi ở xóm trong có tranh chấp "
    assert not negated_at(text, text.index("tranh"))

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.folded_view import DiacriticsFoldedView
from bot.nlu.normalizer import VietnameseNormalizer
from bot.nlu.tokenizer import VietnameseTokenizer


def _pipeline(text: str) -> Message:
    message = Message.build(text=text)
    VietnameseNormalizer.create({}, None, None, None).process([message])
    VietnameseTokenizer.create(VietnameseTokenizer.get_default_config(), None, None, None).process([message])
    DiacriticsFoldedView.create({}, None, None, None).process([message])
    return message


@pytest.mark.parametrize(
    "text, tokens, offsets",
    [
        ("làm căn cước ở đâu", ["làm", "căn_cước", "ở", "đâu"], [(0, 3), (4, 12), (13, 14), (15, 18)]),
        ("lm cccd", ["làm", "căn_cước", "công_dân"], [(0, 2), (3, 7), (3, 7)]),
        ("Khai sinh 😀 ạ!", ["khai_sinh", "ạ"], [(0, 9), (12, 13)]),
        ("", [], []),
        (":)", [], []),
    ],
)
def test_tokens_and_offsets(text, tokens, offsets):
    got = _pipeline(text).get(TOKENS_NAMES[TEXT]) or []
    assert [t.text for t in got] == tokens
    assert [(t.start, t.end) for t in got] == offsets


def test_folded_view_makes_both_spellings_meet():
    with_marks = [t.lemma for t in _pipeline("làm căn cước ở đâu").get(TOKENS_NAMES[TEXT])]
    without = [t.lemma for t in _pipeline("lam can cuoc o dau").get(TOKENS_NAMES[TEXT])]
    assert " ".join(with_marks).split() == " ".join(without).split() == ["lam", "can", "cuoc", "o", "dau"]


def test_training_data_is_processed_and_intents_stay_whole():
    data = TrainingData([Message.build(text="đăng ký tạm trú", intent="faq_tam_tru")])
    VietnameseNormalizer.create({}, None, None, None).process_training_data(data)
    VietnameseTokenizer.create(VietnameseTokenizer.get_default_config(), None, None, None).process_training_data(data)
    example = data.training_examples[0]
    assert [t.text for t in example.get(TOKENS_NAMES[INTENT])] == ["faq_tam_tru"]
    assert [t.text for t in example.get(TOKENS_NAMES[TEXT])][-1].endswith("trú")

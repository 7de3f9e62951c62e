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


@pytest.mark.parametrize("component", [VietnameseNormalizer, VietnameseTokenizer, DiacriticsFoldedView])
def test_rasas_training_cache_key_follows_the_code_and_data_the_component_reads(component, tmp_path, monkeypatch):
    """Rasa keys a cached component by its class's source: a new glossary term or normalizer rule
    (bot/text, data/english.yml) must change the key, or `rasa train` reuses the old messages."""
    from rasa.engine.training.fingerprinting import calculate_fingerprint_key

    from bot import paths
    from bot.nlu import code_version

    config = component.get_default_config()
    before = calculate_fingerprint_key(component, config, {})
    for name in (*code_version.DATA_FILES, "bot/text/normalize.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes((paths.ROOT / name).read_bytes())
    (tmp_path / "data/english.yml").write_text((paths.ROOT / "data/english.yml").read_text() + "  brand new term: từ mới\n")
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    code_version.code_version.cache_clear()
    try:
        assert calculate_fingerprint_key(component, config, {}) != before
    finally:
        monkeypatch.undo()
        code_version.code_version.cache_clear()
    assert calculate_fingerprint_key(component, config, {}) == before

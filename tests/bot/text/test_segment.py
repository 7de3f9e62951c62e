from bot.text.normalize import normalize
from bot.text.segment import MAX_SEGMENTED_SYLLABLES, segment


def test_words_keep_compound_syllables_together():
    words = [w.text for w in segment(normalize("làm căn cước ở đâu"))]
    assert "căn_cước" in words


def test_word_offsets_cover_the_original_words():
    text = "Đăng ký khai sinh, cho con!! 😀"
    for word in segment(normalize(text)):
        assert 0 <= word.start < word.end <= len(text)
        assert text[word.start:word.end].strip()


def test_very_long_text_is_segmented_without_stalling():
    words = segment(normalize("làm căn cước " * 2000))
    assert sum(len(w.syllables) for w in words) == 6000
    assert len(words) > MAX_SEGMENTED_SYLLABLES


def test_empty_text_has_no_words():
    assert segment(normalize("")) == []

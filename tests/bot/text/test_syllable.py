import pytest

from bot.text.syllable import is_vietnamese_syllable, reads_as_english


@pytest.mark.parametrize("word", ["nghiêng", "khuya", "quyển", "giấy", "trường", "an", "toan", "uy", "oanh", "đăng"])
def test_vietnamese_spelling_is_a_syllable(word):
    assert is_vietnamese_syllable(word)


@pytest.mark.parametrize("word", ["need", "birth", "how", "for", "register", "marriage", "certificate", "vneid", "cccd"])
def test_english_spelling_is_not(word):
    assert not is_vietnamese_syllable(word)


@pytest.mark.parametrize("text, english", [
    ("how do i register a birth", True),
    ("The land I want to buy is still mortgaged to a bank by the seller", True),
    ("cho e hoi lam cccd o dau a", False),
    ("làm ct07 trên vneid ntn ad", False),  # a loanword and an abbreviation do not make English
    ("xin hỏi về vneid và zalo", False),
    ("birth", False),  # one word is too little to tell
])
def test_a_message_reads_as_english(text, english):
    assert reads_as_english(text.lower().split()) is english

"""Folding diacritics: a table filled as characters are met must fold as the definition does."""
from __future__ import annotations

import unicodedata

import pytest

from bot.text.fold import fold_diacritics, fold_key


def by_definition(text: str) -> str:
    """Decompose, drop the combining marks, compose again; đ is d."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


@pytest.mark.parametrize("text", [
    "Căn cước công dân", "ĐĂNG KÝ KHAI SINH ở Đà Nẵng", "can cuoc", "",
    "a\u0301b",  # a combining accent typed apart
    "ỹ\u0300",  # a second accent no precomposed letter holds
    "m² 中文 😀 ß ﬁ Ǆ",  # characters without a plainer form, or with a compatibility one only
    "e\u0323\u0302 ệ",
])
def test_folding_is_the_definition(text):
    assert fold_diacritics(text) == by_definition(text)
    assert fold_diacritics(text) == by_definition(text)  # the second time from the table


def test_every_character_up_to_cjk_folds_as_the_definition():
    characters = "".join(chr(c) for c in range(0x80, 0x3000) if unicodedata.category(chr(c)) != "Cs")
    assert fold_diacritics(characters) == by_definition(characters)
    assert [fold_diacritics(c) for c in characters] == [by_definition(c) for c in characters]


def test_a_key_is_lower_case_folded_words():
    assert fold_key("  Làm CĂN CƯỚC, ở đâu?? ") == "lam can cuoc o dau"

"""Fold Vietnamese text to plain ASCII letters, so typed-without-diacritics text meets the rest."""
from __future__ import annotations

import re
import unicodedata

_COMBINING_CATEGORY = "Mn"
_EXTRA = str.maketrans({"đ": "d", "Đ": "D"})


def fold_diacritics(text: str) -> str:
    """Return `text` without tone marks and vowel modifiers ("căn cước" -> "can cuoc")."""
    if text.isascii():
        return text
    # Every syllable of every message passes through here (a long message: ~400 calls), and every
    # imported question through fold_key: a character's folded form is worked out once, then
    # str.translate does the rest (a character not in the table is left as it is).
    text = unicodedata.normalize("NFC", text)
    folded = text.translate(_FOLDED)
    if folded.isascii():
        return folded
    new = [c for c in set(text) if ord(c) not in _FOLDED]
    if not new:  # what is left has no plainer form ("²", "中")
        return folded
    for c in new:
        _FOLDED[ord(c)] = _fold_character(c)
    return text.translate(_FOLDED)


_FOLDED: dict[int, str] = {}  # character -> its folded form, for the non-ASCII characters met so far


def _fold_character(c: str) -> str:
    decomposed = unicodedata.normalize("NFD", c.translate(_EXTRA))
    stripped = "".join(d for d in decomposed if unicodedata.category(d) != _COMBINING_CATEGORY)
    return unicodedata.normalize("NFC", stripped)


def has_diacritics(text: str) -> bool:
    """True when any letter of `text` carries a Vietnamese diacritic (or is đ)."""
    return fold_diacritics(text) != text


_NOT_WORD = re.compile(r"[^\w]+")


def fold_key(text: str) -> str:
    """A cheap identity for a question: lower case, no diacritics, words separated by one space.

    Two questions with the same key teach the same thing; comparing 100,000 imported questions
    needs this to be fast (a character table, not the full normaliser with slang expansion).
    """
    return _NOT_WORD.sub(" ", fold_diacritics(unicodedata.normalize("NFC", text).lower())).strip()

"""Fold Vietnamese text to plain ASCII letters, so typed-without-diacritics text meets the rest."""
from __future__ import annotations

import unicodedata

_COMBINING_CATEGORY = "Mn"
_EXTRA = str.maketrans({"đ": "d", "Đ": "D"})


def fold_diacritics(text: str) -> str:
    """Return `text` without tone marks and vowel modifiers ("căn cước" -> "can cuoc")."""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != _COMBINING_CATEGORY)
    return unicodedata.normalize("NFC", stripped)


def has_diacritics(text: str) -> bool:
    """True when any letter of `text` carries a Vietnamese diacritic (or is đ)."""
    return fold_diacritics(text) != text

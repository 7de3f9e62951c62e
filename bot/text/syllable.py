"""Whether a word could be a Vietnamese syllable, and whether a message reads as English.

Vietnamese spelling is closed: an onset from a short list, one to three vowels, and a coda from
an even shorter one. English words break it ("need", "birth", "how", "for"); that is enough to
tell an English message from a Vietnamese one typed without diacritics, without a language model.
"""
from __future__ import annotations

import re
from collections.abc import Collection

from bot.text.fold import fold_diacritics

_SYLLABLE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|nh|ng|[cmnpt])?")
_VOWEL = re.compile(r"[aeiouy]")
# Words Vietnamese chat borrows in this domain: they say nothing of the message's language.
LOANWORDS = frozenset("""ad admin zalo vneid online app web website link file check ok oke okie bank banking email
mail code qr sms pdf photo copy scan ship shipper internet facebook google wifi""".split())
# A message is English when at least this share of its words (those with a vowel: "cccd" and "sdt"
# are Vietnamese abbreviations) cannot be Vietnamese syllables: English spells a third of its words
# as Vietnamese could ("to", "can", "be", "my").
ENGLISH_SHARE = 0.3


def is_vietnamese_syllable(word: str) -> bool:
    """True when `word` (one word, any case, with or without diacritics) is spelled as a Vietnamese syllable."""
    return _SYLLABLE.fullmatch(fold_diacritics(word.lower())) is not None


def reads_as_english(words: list[str], known: Collection[str] = frozenset()) -> bool:
    """True when enough of `words` (lower case) are not Vietnamese syllables; `known` (slang,
    abbreviations) count as Vietnamese."""
    counted = [w for w in words if w.isalpha() and _VOWEL.search(fold_diacritics(w))]
    foreign = [w for w in counted if w not in known and w not in LOANWORDS and not is_vietnamese_syllable(w)]
    return len(foreign) >= 2 and len(foreign) >= ENGLISH_SHARE * len(counted)

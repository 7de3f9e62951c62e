"""A case said not to be the case: "khôg tranh chấp với ai", "không phải người nước ngoài".

A citizen who writes that the land is not in dispute is telling the officer that the general
procedure is theirs; matching "tranh chấp" there hands off exactly the question the FAQ answers.
Only a negation right before the phrase counts, with at most one word between ("không có",
"không hề", "không ai", and "không có ai"): "hồ sơ bị từ chối vì không nộp thuế" still names a tax.
"""
from __future__ import annotations

import re

from bot.text.fold import fold_diacritics

# Not "chưa" alone: "chưa thu hồi" is land waiting to be taken, still the case ("chưa bao giờ",
# "chưa từng", "chưa hề", never, do deny). Not "chẳng" ("anh chàng người Hàn"), "no" ("nợ thuế")
# or "not" ("đóng nốt thuế"): folded, they are other words.
_NEGATION = re.compile(r" (?:khong|without|never|chua bao gio|chua tung|chua he)(?: (?:co ai|co|bi|phai|he|tung|dinh|any|ai))? $")
_LOOK_BACK = 24  # characters before a phrase: the negation and one word between


def negated_at(text: str, start: int) -> bool:
    """Whether the words just before `start` in `text` deny what follows."""
    before = " " + fold_diacritics(text[max(0, start - _LOOK_BACK):start].lower()).strip() + " "
    return _NEGATION.search(before) is not None


def occurs_unnegated(padded: str, phrase: str) -> bool:
    """Whether ` phrase ` occurs in the space-padded `padded` at least once not denied."""
    needle = f" {phrase} "
    start = padded.find(needle)
    while start != -1:
        if not negated_at(padded, start + 1):
            return True
        start = padded.find(needle, start + 1)
    return False

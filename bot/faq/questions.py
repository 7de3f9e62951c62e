"""The questions a message asks, one per part: "Làm X cần gì, và Y thì làm ở đâu?" asks two.

A part is where a question mark, a new line, a sentence end or a joint ("…, và …", "còn …", "cho
hỏi luôn …") splits the message, kept only when it asks something (a question word) and has a
few words: background sentences ("Nhà em ở đây từ thời ông nội.") are no question.
"""
from __future__ import annotations

import re

from bot.text.normalize import normalize

_JOINT = r"(?:và|với lại|còn|ngoài ra|thêm nữa|đồng thời|va|voi lai|con|ngoai ra|them nua|dong thoi)"
_ASKER = r"(?:cho\s+(?:(?:em|tôi|mình|cháu|con|chị|anh|toi|minh|chau|chi)\s+)?)?(?:hỏi|hoi)(?:\s+(?:luôn|thêm|luon|them))?"
_SPLIT = re.compile(
    r"\?|\n|(?<=\w)[.!]\s|;"
    rf"|,?\s+{_JOINT}\s+{_ASKER}\b"  # "… và cho hỏi luôn …"
    rf"|,\s*{_JOINT}\s",  # "…, còn …"
    re.IGNORECASE,
)
# Question words, folded ("sao" also ends "làm sao", "thế nào" also "như thế nào").
_ASKS = re.compile(
    r"\b(?:khong|ko|k|chua|bao nhieu|bao lau|bao gio|gi|o dau|dau|the nao|ra sao|sao|may|nao"
    r"|what|where|when|how|which|can|do|does|is)\b"
)
MIN_WORDS = 3


def question_parts(text: str) -> tuple[str, ...]:
    """The folded parts of `text` that ask something, in order."""
    parts = (normalize(p).folded for p in _SPLIT.split(text) if p and p.strip())
    return tuple(p for p in parts if len(p.split()) >= MIN_WORDS and _ASKS.search(p))

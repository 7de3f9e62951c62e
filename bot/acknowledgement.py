"""Messages that only acknowledge, thank or call something off: "ok", "dạ vâng", "cảm ơn nhé", "thôi".

Such a message asks nothing, so the model's ranking of it is noise (issue 20: "ok" was refused as
out of scope). A closed list is the right tool here: acknowledgements, thanks, politeness particles
and forms of address are a closed class of function words, and a message counts only when every
one of its words belongs to that class, so "ok vậy làm căn cước ở đâu" is still a question.
Compared on the normalized, folded text, so "Okkk", "tks", "ko cần nữa" and "thui" are covered by
the normalizer's slang table.
"""
from __future__ import annotations

from bot.decision import SMALLTALK, Decision
from bot.text.normalize import normalize

ACKNOWLEDGE = "acknowledge"
THANKS = "thanks"  # the model's smalltalk intent: same reply
NEVER_MIND = "never_mind"  # "thôi", "huỷ", "không cần nữa" outside a hand-off

_FILLER = "filler"
_MAX_WORDS = 10
_MAX_CHARS = 120

# folded phrase -> what it says; a filler says nothing by itself
_PHRASES: dict[str, str] = {
    **dict.fromkeys((
        "ok", "oke", "okie", "oki", "okay", "okela", "o ke", "yes", "uh", "u", "um", "uhm", "ua", "uk", "ukm",
        "vang", "da", "duoc", "duoc roi", "roi", "da ro", "ro roi", "hieu roi", "biet roi", "nam duoc roi",
        "nam ro roi", "dung roi", "vay a", "the a",
    ), ACKNOWLEDGE),
    **dict.fromkeys((
        "cam on", "xin cam on", "chan thanh cam on", "thanks", "thank", "thank you", "thank u",
    ), THANKS),
    **dict.fromkeys((
        "thoi", "huy", "bo qua", "khoi", "khong can", "khong can nua", "khong can dau", "khong can nua dau", "thoi khong can",
        "khong can gap can bo", "huy yeu cau", "huy cau hoi",
    ), NEVER_MIND),
    # particles, intensifiers and forms of address: "ok ạ", "cảm ơn ad nhiều nhé", "dạ vâng em cảm ơn"
    **dict.fromkeys((
        "a", "nhe", "nha", "nhen", "ne", "ha", "hen", "nhi", "di", "oi", "oh", "o", "vay", "the", "nua",
        "nhieu", "nhieu lam", "rat nhieu",
        "em", "e", "anh", "chi", "ad", "admin", "ban", "b", "minh", "toi", "tui", "chau", "con", "co", "chu",
        "bac", "ca nha", "moi nguoi", "can bo", "xa", "phuong", "ubnd", "uy ban",
    ), _FILLER),
}
_LONGEST_PHRASE = max(len(p.split()) for p in _PHRASES)

# A reply of emoji alone (Zalo's quick "like"): 👍 👌 acknowledge, 🙏 thanks.
_EMOJI = {"\U0001F44D": ACKNOWLEDGE, "\U0001F44C": ACKNOWLEDGE, "\U0001F64F": THANKS}
_EMOJI_MODIFIERS = {"\uFE0F", "\u200D", *map(chr, range(0x1F3FB, 0x1F400))}  # variation, joiner, skin tones

_PRECEDENCE = (THANKS, NEVER_MIND, ACKNOWLEDGE)  # "thôi, cảm ơn" thanks; "ok thôi" calls off


def acknowledgement(text: str) -> str | None:
    """ACKNOWLEDGE, THANKS or NEVER_MIND when the message says only that; None when it says more."""
    if len(text) > _MAX_CHARS or "?" in text:
        return None
    said = _emoji_only(text)
    if said is None:
        said = _phrases_only(normalize(text).folded.split())
    return next((kind for kind in _PRECEDENCE if kind in said), None) if said else None


def acknowledgement_decision(text: str) -> Decision | None:
    """The smalltalk decision for an acknowledgement (its intent names the reply), else None."""
    kind = acknowledgement(text)
    return Decision(SMALLTALK, kind, 1.0, reason="acknowledgement") if kind else None


def _phrases_only(words: list[str]) -> set[str] | None:
    """What the words say when every one is covered by a listed phrase (longest first), else None."""
    if not words or len(words) > _MAX_WORDS:
        return None
    said: set[str] = set()
    start = 0
    while start < len(words):
        for size in range(min(_LONGEST_PHRASE, len(words) - start), 0, -1):
            kind = _PHRASES.get(" ".join(words[start:start + size]))
            if kind is not None:
                said.add(kind)
                start += size
                break
        else:
            return None
    return said - {_FILLER}


def _emoji_only(text: str) -> set[str] | None:
    """What a message of listed emoji alone says, else None."""
    marks = [c for c in text if not c.isspace() and c not in _EMOJI_MODIFIERS]
    if not marks or any(c not in _EMOJI for c in marks):
        return None
    return {_EMOJI[c] for c in marks}

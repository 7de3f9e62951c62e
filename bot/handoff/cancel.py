"""A citizen taking back their request for an officer ("thôi không cần nữa")."""
from __future__ import annotations

import re

from bot.text.normalize import normalize

_CANCEL = re.compile(
    r"^(?:(?:da|vang|u|uh|ok|oke|toi|em|minh|thi)\s+)*(?:"
    r"thoi\s+(?:khong|ko)\s+can(?:\s+nua)?"
    r"|(?:khong|ko)\s+can\s+(?:nua|gap\s+can\s+bo(?:\s+nua)?|can\s+bo\s+nua)"
    r"|(?:toi\s+|em\s+|minh\s+)?huy\s+(?:yeu\s+cau|cau\s+hoi|gap\s+can\s+bo)"
    r"|thoi\s+(?:khoi|duoc\s+roi|bo\s+qua)"
    r"|(?:da\s+)?(?:tu\s+)?(?:giai\s+quyet|lam)\s+duoc\s+roi(?:\s+khong\s+can\s+nua)?"
    r")\b"
)


def is_cancel_request(text: str) -> bool:
    """True for a short message that only withdraws the request; a new question is not one."""
    folded = normalize(text).folded.strip(" .!?,")
    return len(folded.split()) <= 10 and _CANCEL.match(folded) is not None

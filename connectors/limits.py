"""What every channel applies to a citizen's message at the edge: clean text, a length cap, and a
per-sender rate of messages (hand-offs are counted by the conversation core, in the database).

Zalo's and the REST channel's messages go through the same functions, so a text the bot or an
officer's page reads is always valid Unicode of bounded length, whichever way it came in.
"""
from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable

# Zalo's own limit for one message (../shared/zalo-oa-api.md: 2,000 characters).
MESSAGE_LIMIT = 2000
MESSAGES_PER_MINUTE = 20  # a person types a few; a script hundreds
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Valid UTF-8 text without control characters, at most `limit` characters.

    JSON lets a sender write "\\ud800", a lone surrogate that no encoder accepts: it failed every
    later step (the database, Rasa) again and again.
    """
    text = _CONTROL.sub("", _LONE_SURROGATE.sub("\ufffd", text))
    return text[:limit]


class SenderRate:
    """At most `per_minute` events per sender in any 60 s, in one process's memory.

    Memory is bounded: a sender's deque holds at most `per_minute` times, and senders quiet for a
    minute are dropped at the next sweep.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def allow(self, sender: str) -> bool:
        """Count one event for `sender`; False when it is over the rate (then it is not counted)."""
        now = self._clock()
        with self._lock:
            if now - self._last_sweep > 60:
                self._seen = {s: q for s, q in self._seen.items() if q and now - q[-1] < 60}
                self._last_sweep = now
            times = self._seen.setdefault(sender, deque())
            while times and now - times[0] >= 60:
                times.popleft()
            if len(times) >= self.per_minute:
                return False
            times.append(now)
            return True

"""The conversation so far, as a ticket keeps it: read from Rasa's tracker events (plain dicts)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from bot.handoff.tickets import BOT, CITIZEN, HistoryLine

HISTORY_LINES = 20


def history_from_events(events: Iterable[Mapping[str, Any]]) -> list[HistoryLine]:
    """The conversation of the current session before the message being handled."""
    lines: list[HistoryLine] = []
    for event in events:
        kind = event.get("event")
        if kind == "session_started":
            lines = []
        elif kind in ("user", "bot") and event.get("text"):
            at = datetime.fromtimestamp(float(event["timestamp"]), timezone.utc) if event.get("timestamp") else None
            lines.append(HistoryLine(CITIZEN if kind == "user" else BOT, str(event["text"]), at))
    if lines and lines[-1].kind == CITIZEN:
        lines.pop()  # the message being handled: a ticket records it as its question
    return lines[-HISTORY_LINES:]

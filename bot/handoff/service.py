"""The bot's side of a hand-off: route the question, open (or add to) the citizen's ticket."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.engine import Engine

from bot.decision import Decision
from bot.handoff.departments import Departments
from bot.handoff.routing import route
from bot.handoff.tickets import BOT, CITIZEN, HistoryLine, Opened, TicketDesk
from bot.understanding import Understanding
from bot.zalo_store import ZaloStore

HISTORY_LINES = 20


class HandOff:
    def __init__(self, engine: Engine, understanding: Understanding) -> None:
        self.understanding = understanding
        self.desk = TicketDesk(engine, Departments(engine))
        self._zalo = ZaloStore(engine)

    def open(self, citizen_id: str, channel: str, text: str, decision: Decision,
             history: Iterable[HistoryLine] = ()) -> Opened:
        where = route(decision, text, self.understanding)
        name = None
        if channel == "zalo":
            conversation = self._zalo.conversation(citizen_id)
            name = conversation.display_name if conversation is not None else None
        return self.desk.open_ticket(citizen_id, channel, text, where.department, where.reason, name, list(history))

    def holds(self, citizen_id: str) -> bool:
        return self.desk.open_for(citizen_id) is not None


def history_from_events(events: Iterable[Mapping[str, Any]]) -> list[HistoryLine]:
    """The conversation of the current Rasa session before the message being handled."""
    lines: list[HistoryLine] = []
    for event in events:
        kind = event.get("event")
        if kind == "session_started":
            lines = []
        elif kind in ("user", "bot") and event.get("text"):
            at = datetime.fromtimestamp(float(event["timestamp"]), timezone.utc) if event.get("timestamp") else None
            lines.append(HistoryLine(CITIZEN if kind == "user" else BOT, str(event["text"]), at))
    if lines and lines[-1].kind == CITIZEN:
        lines.pop()  # the message being handed off: the ticket records it as its question
    return lines[-HISTORY_LINES:]

"""The one custom action: every citizen message goes through bot.conversation."""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.conversation import Conversation, DialogueState
from bot.db import get_engine, record_decision
from bot.understanding import load_understanding, ranking_from_parse

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _conversation() -> Conversation:
    return Conversation(load_understanding())


class ActionRespond(Action):
    def name(self) -> str:
        return "action_respond"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        state = DialogueState(
            pending_choices=tuple(tracker.get_slot("pending_choices") or ()),
            failed_turns=int(tracker.get_slot("failed_turns") or 0),
        )
        turn = _conversation().respond(text, ranking_from_parse(message), state)
        for reply in turn.replies:
            buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
            dispatcher.utter_message(text=reply.text, buttons=buttons or None)
        channel = tracker.get_latest_input_channel() or "unknown"
        with get_engine().begin() as connection:
            record_decision(connection, tracker.sender_id, channel, text, turn.decision)
        return [
            SlotSet("pending_choices", list(turn.state.pending_choices) or None),
            SlotSet("failed_turns", float(turn.state.failed_turns)),
        ]

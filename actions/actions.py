"""Custom actions: a thin adapter from Rasa's tracker to the conversation core (bot/core)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.conversation import DialogueState
from bot.core import build
from bot.core.citizen_messages import ConversationCore
from bot.core.history import history_from_events
from bot.core.outcome import NAME_METADATA, Citizen
from bot.db import get_engine
from bot.faq.live import LiveKnowledgeDir
from bot.understanding import ranking_from_parse


@lru_cache(maxsize=1)
def _live_dir() -> LiveKnowledgeDir:
    return LiveKnowledgeDir(get_engine())


@lru_cache(maxsize=4)
def _core_for(data_dir: Path) -> ConversationCore:
    return build.conversation_core(get_engine(), data_dir)


def _core() -> ConversationCore:
    """The core over the live release's knowledge base (publish and rollback switch it)."""
    return _core_for(_live_dir()())


class ActionRespond(Action):
    def name(self) -> str:
        return "action_respond"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        metadata = message.get("metadata") or {}
        citizen = Citizen(tracker.sender_id, tracker.get_latest_input_channel() or "unknown", metadata.get(NAME_METADATA))
        feedback = tracker.get_slot("feedback_decision")
        state = DialogueState(
            pending_choices=tuple(tracker.get_slot("pending_choices") or ()),
            failed_turns=int(tracker.get_slot("failed_turns") or 0),
            awaiting_subject=bool(tracker.get_slot("awaiting_subject")),
            last_faq=tracker.get_slot("last_faq") or None,
            feedback_decision=int(feedback) if feedback else None,
        )
        outcome = _core().handle_citizen_message(
            citizen, message.get("text") or "", ranking_from_parse(message), state, history_from_events(tracker.events))
        for reply in outcome.replies:
            buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
            dispatcher.utter_message(text=reply.text, buttons=buttons or None)
        after = outcome.state
        return [
            SlotSet("pending_choices", list(after.pending_choices) or None),
            SlotSet("failed_turns", float(after.failed_turns)),  # also tells the Zalo channel the action ran (connectors/zalo/channel.py)
            SlotSet("awaiting_subject", after.awaiting_subject or None),
            SlotSet("last_faq", after.last_faq),
            SlotSet("feedback_decision", float(after.feedback_decision) if after.feedback_decision else None),
        ]

"""Custom actions: thin adapters over bot.conversation and bot.handoff."""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.conversation import Conversation, DialogueState
from bot.db import get_engine, record_decision
from bot.decision import HANDOFF, load_thresholds
from bot.faq.knowledge_base import load_knowledge_base
from bot.faq.live import LiveKnowledgeDir
from bot.handoff.service import HandOff, history_from_events
from bot.replies import Reply
from bot.understanding import Understanding, ranking_from_parse
from connectors.limits import HANDOFFS_PER_MINUTE, SenderRate

logger = logging.getLogger(__name__)
# Opening and cancelling tickets in a loop would flood officers' queues.
_handoffs = SenderRate(HANDOFFS_PER_MINUTE)


@lru_cache(maxsize=1)
def _live_dir() -> LiveKnowledgeDir:
    return LiveKnowledgeDir(get_engine())


@lru_cache(maxsize=4)
def _conversation_for(data_dir: Path) -> Conversation:
    return Conversation(Understanding(load_knowledge_base(data_dir), load_thresholds()))


def _conversation() -> Conversation:
    """The conversation over the live release's knowledge base (publish and rollback switch it)."""
    return _conversation_for(_live_dir()())


def _handoff() -> HandOff:
    return _handoff_for(_conversation())


@lru_cache(maxsize=4)
def _handoff_for(conversation: Conversation) -> HandOff:
    return HandOff(get_engine(), conversation.understanding)


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
        conversation = _conversation()
        turn = conversation.respond(text, ranking_from_parse(message), state)
        channel = tracker.get_latest_input_channel() or "unknown"
        replies, events = turn.replies, []
        if turn.decision.kind == HANDOFF and not _handoffs.allow(tracker.sender_id):
            logger.warning("hand-off for %s refused: more than %d a minute", tracker.sender_id, HANDOFFS_PER_MINUTE)
            replies = (Reply(conversation.replies.text("handoff_too_often")),)
        elif turn.decision.kind == HANDOFF:
            opened = _handoff().open(tracker.sender_id, channel, text, turn.decision, history_from_events(tracker.events))
            replies = (conversation.handoff_reply(turn.decision, opened.department.name, opened.when),)
            _handoff().desk.add_bot_message(opened.ticket.id, replies[0].text)
            events.append(ConversationPaused())
        for reply in replies:
            buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
            dispatcher.utter_message(text=reply.text, buttons=buttons or None)
        with get_engine().begin() as connection:
            record_decision(connection, tracker.sender_id, channel, text, turn.decision)
        return [
            SlotSet("pending_choices", list(turn.state.pending_choices) or None),
            SlotSet("failed_turns", float(turn.state.failed_turns)),
            *events,
        ]


class ActionSessionStart(Action):
    """A new Rasa session would silently un-pause a citizen whose ticket is still open."""

    def name(self) -> str:
        return "action_session_start"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = [SessionStarted()]
        if _handoff().holds(tracker.sender_id):
            logger.info("new session for %s while a ticket is open: the bot stays paused", tracker.sender_id)
            events.append(ConversationPaused())
        events.append(ActionExecuted("action_listen"))
        return events

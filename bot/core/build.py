"""The core's use cases over one database (and knowledge base), as the processes build them."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from bot.conversation import Conversation
from bot.core.channel_events import ChannelEvents
from bot.core.citizen_messages import ConversationCore
from bot.decision import load_thresholds
from bot.faq.knowledge_base import load_knowledge_base
from bot.handoff.departments import Departments
from bot.handoff.tickets import TicketDesk
from bot.replies import Replies
from bot.understanding import Understanding


def conversation_core(engine: Engine, data_dir: Path | None = None) -> ConversationCore:
    kb = load_knowledge_base(data_dir) if data_dir is not None else load_knowledge_base()
    conversation = Conversation(Understanding(kb, load_thresholds()))
    return ConversationCore(engine, conversation, TicketDesk(engine, Departments(engine)))


def channel_events(engine: Engine, replies: Replies) -> ChannelEvents:
    return ChannelEvents(engine, TicketDesk(engine, Departments(engine)), replies)

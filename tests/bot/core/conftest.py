"""The conversation core on each database, with a scripted NLU in place of Rasa's model."""
from __future__ import annotations

import pytest
from sqlalchemy import delete

from bot.conversation import Conversation, DialogueState
from bot.core.channel_events import ChannelEvents
from bot.core.citizen_messages import ConversationCore
from bot.core.outcome import Citizen, Outcome
from bot.inbound_ledger import inbound_event, inbound_lease
from bot.db import (
    answer_feedback, audit_log, decision_log, ticket, ticket_event, zalo_conversation, zalo_event, zalo_outbound, zalo_token,
)
from bot.decision import IntentScore
from bot.handoff.departments import Departments
from bot.handoff.tickets import TicketDesk

# What the model would say for the conversation's messages (anything else: no intent at all).
RANKINGS: dict[str, tuple[IntentScore, ...]] = {
    "làm căn cước": (
        IntentScore("faq_can_cuoc_cap_moi", 0.40), IntentScore("faq_can_cuoc_cap_lai", 0.35),
        IntentScore("faq_can_cuoc_tre_em", 0.20),
    ),
    "cho tôi gặp cán bộ": (IntentScore("request_human", 0.99),),
    "gặp cán bộ": (IntentScore("request_human", 0.97),),
    "cho tôi gặp cán bộ hỏi về sổ đỏ": (IntentScore("request_human", 0.95), IntentScore("faq_dvc_tra_cuu_ho_so", 0.02)),
    "con tôi cần làm căn cước": (IntentScore("faq_can_cuoc_tre_em", 0.93),),
    "làm giấy khai sinh cần gì": (IntentScore("faq_khai_sinh", 0.95),),
    "xin chào": (IntentScore("greet", 0.99),),
}


# A request for an officer that names its subject: routed at once (one without asks first).
HAND_OFF = "cho tôi gặp cán bộ hỏi về sổ đỏ"


def ranking(text: str) -> tuple[IntentScore, ...]:
    return RANKINGS.get(text, ())


def clean(engine) -> None:
    with engine.begin() as conn:
        for table in (ticket_event, ticket, audit_log, answer_feedback, decision_log, zalo_event, zalo_outbound,
                      zalo_conversation, zalo_token, inbound_event, inbound_lease):
            conn.execute(delete(table))


@pytest.fixture
def desk(db_engine):
    clean(db_engine)
    yield TicketDesk(db_engine, Departments(db_engine))
    clean(db_engine)


@pytest.fixture
def core(desk, understanding):
    return ConversationCore(desk.engine, Conversation(understanding), desk)


@pytest.fixture
def channel_events(desk, core):
    return ChannelEvents(desk.engine, desk, core.replies)


class Chat:
    """One citizen talking to the core, their dialogue state kept between turns (Rasa's slots)."""

    def __init__(self, core: ConversationCore, citizen: Citizen) -> None:
        self.core, self.citizen, self.state = core, citizen, DialogueState()

    def say(self, text: str) -> Outcome:
        outcome = self.core.handle_citizen_message(self.citizen, text, ranking(text), self.state)
        self.state = outcome.state
        return outcome

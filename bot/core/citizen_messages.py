"""A citizen's text, from any channel: one turn, one transaction.

`ConversationCore.handle_citizen_message` is the only place that decides what a text means:
while a ticket is open it is the officer's to read (or "thôi không cần nữa" cancels it); else the
"Ý bạn là…?" follow-up and the decision (`bot.conversation.Conversation.respond`), and, for a
hand-off, the route, the ticket and the reply that names the department and the due time. The
ticket, its events, its audit line and the decision row commit together or not at all.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from bot.conversation import Conversation, DialogueState
from bot.core.outcome import (
    ADDED_TO_TICKET, ANSWERED, CANCELLED, CLARIFIED, HANDED_OFF, HANDOFF_LIMITED, Citizen, Outcome,
)
from bot.db import record_decision, ticket, utc_now
from bot.decision import CLARIFY, HANDOFF, Decision, IntentScore
from bot.handoff.cancel import is_cancel_request
from bot.handoff.routing import route
from bot.handoff.tickets import HistoryLine, Ticket, TicketDesk
from bot.replies import Reply

logger = logging.getLogger(__name__)

# A real citizen asks for an officer once, maybe cancels and asks again; opening and cancelling
# tickets in a loop would flood the officers' queues. Counted in the database, so every action
# server agrees.
HANDOFFS_PER_MINUTE = 2


class ConversationCore:
    def __init__(self, engine: Engine, conversation: Conversation, desk: TicketDesk,
                 clock: Callable[[], datetime] = utc_now, handoffs_per_minute: int = HANDOFFS_PER_MINUTE) -> None:
        self.engine = engine
        self.conversation = conversation
        self.desk = desk
        self.replies = conversation.replies
        self._clock = clock
        self._handoffs_per_minute = handoffs_per_minute

    def handle_citizen_message(self, citizen: Citizen, text: str, ranking: Iterable[IntentScore],
                               state: DialogueState, history: Sequence[HistoryLine] = ()) -> Outcome:
        with self.engine.begin() as conn:
            held = self.desk.open_for(citizen.id, conn=conn)
            if held is not None:
                return self._while_held(conn, held, text, state)
            turn = self.conversation.respond(text, ranking, state)
            if turn.decision.kind == HANDOFF:
                outcome = self._hand_off(conn, citizen, text, turn.decision, turn.state, history)
            else:
                kind = CLARIFIED if turn.decision.kind == CLARIFY else ANSWERED
                outcome = Outcome(kind, turn.replies, turn.state, turn.decision)
            record_decision(conn, citizen.id, citizen.channel, text, turn.decision)
            return outcome

    def _while_held(self, conn: Connection, held: Ticket, text: str, state: DialogueState) -> Outcome:
        """A ticket holds the citizen: the message is the officer's; the bot stays silent unless
        the citizen takes the request back. (The acknowledgement of issue 20 belongs here.)"""
        self.desk.add_citizen_message(held.id, text, conn=conn)
        if is_cancel_request(text):
            self.desk.cancel_by_citizen(held.id, conn=conn)
            return Outcome(CANCELLED, (Reply(self.replies.text("handoff_cancelled")),), DialogueState(), ticket_id=held.id)
        return Outcome(ADDED_TO_TICKET, (), state, ticket_id=held.id)

    def _hand_off(self, conn: Connection, citizen: Citizen, text: str, decision: Decision, state: DialogueState,
                  history: Sequence[HistoryLine]) -> Outcome:
        if self._recent_handoffs(conn, citizen.id) >= self._handoffs_per_minute:
            logger.warning("hand-off for %s refused: more than %d a minute", citizen.id, self._handoffs_per_minute)
            return Outcome(HANDOFF_LIMITED, (Reply(self.replies.text("handoff_too_often")),), state, decision)
        where = route(decision, text, self.conversation.understanding)
        opened = self.desk.open_ticket(citizen.id, citizen.channel, text, where.department, where.reason,
                                       citizen.name, list(history), conn=conn)
        reply = self.conversation.handoff_reply(decision, opened.department.name, opened.when)
        self.desk.add_bot_message(opened.ticket.id, reply.text, conn=conn)
        return Outcome(HANDED_OFF, (reply,), state, decision, opened.ticket.id)

    def _recent_handoffs(self, conn: Connection, citizen_id: str) -> int:
        since = self._clock() - timedelta(minutes=1)
        return int(conn.execute(
            select(func.count()).select_from(ticket).where(ticket.c.citizen_id == citizen_id, ticket.c.created_at >= since)
        ).scalar_one())

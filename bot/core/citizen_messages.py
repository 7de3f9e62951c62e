"""A citizen's text, from any channel: one turn, one transaction.

`ConversationCore.handle_citizen_message` is the only place that decides what a text means:
while a ticket is open it is the officer's to read (acknowledged once until an officer replies,
or "thôi không cần nữa" cancels it); after a resolved request, the rating and one comment; after
an answer, "có"/"không" on it; else the dialogue (`bot.conversation.Conversation.respond`: the
"Ý bạn là…?" follow-up, "gặp cán bộ" without a subject, "xem căn cứ", the decision) and, for a
hand-off, the route, the ticket and the reply that names the department and the due time. The
ticket, its events, its audit line and the decision row commit together or not at all.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from bot.conversation import Conversation, DialogueState, Turn
from bot.core import satisfaction
from bot.core.outcome import (
    ADDED_TO_TICKET, ANSWERED, CANCELLED, CLARIFIED, FEEDBACK, HANDED_OFF, HANDOFF_LIMITED, Citizen, Outcome,
)
from bot.db import record_decision, ticket, ticket_event, utc_now
from bot.decision import CLARIFY, HANDOFF, SMALLTALK, Decision, IntentScore
from bot.handoff.cancel import is_cancel_request
from bot.handoff.departments import general_queue_of
from bot.handoff.office_hours import when_phrase
from bot.handoff.routing import route
from bot.handoff.tickets import BOT, OFFICER_IN_ZALO, OFFICER_REPLY, HistoryLine, Ticket, TicketDesk
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
            pending = satisfaction.pending_for(conn, citizen.id, self._clock())
            if pending is not None:
                rated = self._after_resolved(conn, citizen, pending, text, state)
                if rated is not None:
                    return rated
            asked, verdict = state.feedback_decision, satisfaction.helpful_verdict(text)
            if asked is not None and verdict is not None:
                return self._answer_feedback(conn, citizen, text, replace(state, feedback_decision=None), asked, verdict)
            # Ignored "có giúp không?": still asked while the citizen only reads the legal basis.
            turn = self.conversation.respond(text, ranking, state)
            if turn.decision.kind == HANDOFF:
                outcome = self._hand_off(conn, citizen, text, turn, history)
            else:
                kind = CLARIFIED if turn.decision.kind == CLARIFY else ANSWERED
                outcome = Outcome(kind, turn.replies, turn.state, turn.decision)
            decision_id = record_decision(conn, citizen.id, citizen.channel, text, turn.decision)
            if turn.asks_feedback:
                outcome = replace(outcome, state=replace(outcome.state, feedback_decision=decision_id))
            return outcome

    def _while_held(self, conn: Connection, held: Ticket, text: str, state: DialogueState) -> Outcome:
        """A ticket holds the citizen: the message is the officer's. The citizen learns once that it
        was added (and who answers when), then again only after an officer's reply, unless they are
        answering that reply within minutes; or the citizen takes the request back."""
        acknowledge = _should_acknowledge(conn, held.id, self._clock())
        self.desk.add_citizen_message(held.id, text, conn=conn)
        if is_cancel_request(text):
            self.desk.cancel_by_citizen(held.id, conn=conn)
            return Outcome(CANCELLED, (Reply(self.replies.text("handoff_cancelled")),), DialogueState(), ticket_id=held.id)
        if not acknowledge:
            return Outcome(ADDED_TO_TICKET, (), state, ticket_id=held.id)
        department = self.desk.departments.get(held.department_code, conn) or self.desk.departments.general_queue(conn)
        now = self._clock()
        when = (when_phrase(department.hours, now, held.due_at) if held.due_at > now
                else self.replies.text("added_to_ticket_overdue"))
        reply = Reply(self.replies.text("added_to_ticket", ticket=str(held.id), department=department.name, when=when))
        self.desk.add_bot_message(held.id, reply.text, data={ACKNOWLEDGEMENT: True}, conn=conn)
        return Outcome(ADDED_TO_TICKET, (reply,), state, ticket_id=held.id)

    def _after_resolved(self, conn: Connection, citizen: Citizen, pending: satisfaction.Pending, text: str,
                        state: DialogueState) -> Outcome | None:
        """The reply to "Anh/chị có hài lòng…?" or to the comment invitation; None: the citizen
        moved on (the question is dropped and the message is a new turn)."""
        now = self._clock()
        if pending.stage == satisfaction.RATING:
            rating = satisfaction.rating_of(text)
            if rating is None:
                satisfaction.drop_pending(conn, pending.ticket_id)
                return None
            satisfaction.store_rating(conn, pending.ticket_id, rating, now)
            reply, reason = Reply(self.replies.text("rating_thanks")), "rating"
        elif satisfaction.declines_comment(text):
            satisfaction.drop_pending(conn, pending.ticket_id)
            reply, reason = Reply(self.replies.text("comment_declined")), "no_comment"
        else:
            satisfaction.store_comment(conn, pending.ticket_id, text)
            reply, reason = Reply(self.replies.text("comment_thanks")), "comment"
        decision = Decision(SMALLTALK, "ticket_feedback", 1.0, reason=reason)
        record_decision(conn, citizen.id, citizen.channel, text, decision)
        return Outcome(FEEDBACK, (reply,), state, decision, pending.ticket_id)

    def _answer_feedback(self, conn: Connection, citizen: Citizen, text: str, state: DialogueState,
                         answered: int, helpful: bool) -> Outcome:
        """ "có"/"không" on the last answer: stored; a "không" goes to the editors' review queue
        (the answer's decision row, bot/faq/unanswered.py), never to an officer."""
        satisfaction.record_answer_feedback(conn, answered, helpful, self._clock())
        decision = Decision(SMALLTALK, "answer_feedback", 1.0, reason="helpful" if helpful else "not_helpful")
        record_decision(conn, citizen.id, citizen.channel, text, decision)
        reply = Reply(self.replies.text("answer_feedback_yes" if helpful else "answer_feedback_no"))
        return Outcome(FEEDBACK, (reply,), state, decision)

    def _hand_off(self, conn: Connection, citizen: Citizen, text: str, turn: Turn,
                  history: Sequence[HistoryLine]) -> Outcome:
        decision, state = turn.decision, turn.state
        if self._recent_handoffs(conn, citizen.id) >= self._handoffs_per_minute:
            logger.warning("hand-off for %s refused: more than %d a minute", citizen.id, self._handoffs_per_minute)
            return Outcome(HANDOFF_LIMITED, (Reply(self.replies.text("handoff_too_often")),), state, decision)
        # The departments table names the general queue (an admin may move it), not the seed file.
        units = self.desk.departments.all(conn)
        where = route(decision, text, self.conversation.understanding, general_queue_of(units).code,
                      {d.code: d.name for d in units})
        opened = self.desk.open_ticket(citizen.id, citizen.channel, turn.question or text, where.department,
                                       where.reason, citizen.name, list(history), conn=conn)
        reply = self.conversation.handoff_reply(decision, opened.department.name, opened.when)
        self.desk.add_bot_message(opened.ticket.id, reply.text, conn=conn)
        return Outcome(HANDED_OFF, (reply,), state, decision, opened.ticket.id)

    def _recent_handoffs(self, conn: Connection, citizen_id: str) -> int:
        since = self._clock() - timedelta(minutes=1)
        return int(conn.execute(
            select(func.count()).select_from(ticket).where(ticket.c.citizen_id == citizen_id, ticket.c.created_at >= since)
        ).scalar_one())


# A bot event's data marking the "Đã thêm vào yêu cầu #…" acknowledgement.
ACKNOWLEDGEMENT = "acknowledgement"
# A citizen answering an officer within this time is in a live exchange: no bot line between them.
LIVE_EXCHANGE = timedelta(minutes=15)


def _should_acknowledge(conn: Connection, ticket_id: int, now: datetime) -> bool:
    """Whether to say "Đã thêm vào yêu cầu #…": not yet said since the ticket opened or since the
    last officer reply, and that reply is not a moment ago. Read from the ticket's events, newest
    first, inside the turn's transaction."""
    rows = conn.execute(
        select(ticket_event.c.kind, ticket_event.c.data, ticket_event.c.created_at)
        .where(ticket_event.c.ticket_id == ticket_id, ticket_event.c.kind.in_((BOT, OFFICER_REPLY, OFFICER_IN_ZALO)))
        .order_by(ticket_event.c.id.desc())
    )
    for kind, data, at in rows:
        if kind != BOT:
            return now - _aware(at) >= LIVE_EXCHANGE
        if f'"{ACKNOWLEDGEMENT}"' in (data or ""):
            return False
    return True


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)

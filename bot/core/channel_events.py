"""What a channel brings besides a citizen's text: an attachment, an officer writing in the
channel's own tool, a message the system gave up on. Each one transaction."""
from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from bot.core.outcome import ADDED_TO_TICKET, MESSAGE_FAILED, OFFICER_IN_CHANNEL, TEXT_ONLY, Citizen, Outcome
from bot.handoff.tickets import ATTACHMENT, TicketDesk
from bot.replies import Replies, Reply

FAILED_REASON = "Hệ thống không xử lý được tin nhắn này sau nhiều lần thử"


class ChannelEvents:
    def __init__(self, engine: Engine, desk: TicketDesk, replies: Replies) -> None:
        self.engine = engine
        self.desk = desk
        self.replies = replies

    def attachment(self, citizen: Citizen, text: str, data: dict[str, Any]) -> Outcome:
        """For the officer of an open ticket; else the polite "text only" reply."""
        with self.engine.begin() as conn:
            held = self.desk.open_for(citizen.id, conn=conn)
            if held is None:
                return Outcome(TEXT_ONLY, (Reply(self.replies.text("text_only")),))
            self.desk.add_citizen_message(held.id, text, ATTACHMENT, data, conn=conn)
            return Outcome(ADDED_TO_TICKET, ticket_id=held.id)

    def officer_wrote(self, citizen: Citizen, text: str, officer_ref: str | None) -> Outcome:
        """An officer answered in the channel's own tool: a ticket (the general queue's when none
        was open) holds the citizen, so the bot steps back until it closes."""
        with self.engine.begin() as conn:
            held = self.desk.officer_wrote_in_channel(citizen.id, text, officer_ref, citizen.name, citizen.channel, conn=conn)
            return Outcome(OFFICER_IN_CHANNEL, ticket_id=held.id)

    def message_failed(self, citizen: Citizen, text: str) -> Outcome:
        """A message parked after repeated failures: an officer gets it, the citizen is told."""
        with self.engine.begin() as conn:
            general = self.desk.departments.general_queue(conn)
            opened = self.desk.open_ticket(citizen.id, citizen.channel, text, general.code, FAILED_REASON,
                                           citizen.name, conn=conn)
            return Outcome(MESSAGE_FAILED, (Reply(self.replies.text("message_failed")),), ticket_id=opened.ticket.id)

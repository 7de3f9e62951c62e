"""What comes in (a citizen of a channel) and what a use case decided (an `Outcome`)."""
from __future__ import annotations

from dataclasses import dataclass

from bot.conversation import DialogueState
from bot.decision import Decision
from bot.replies import Reply

# What happened to a message (Outcome.kind).
ANSWERED = "answered"  # the bot answered it (an FAQ, small talk, out of scope, not understood)
CLARIFIED = "clarified"  # "Ý bạn là…?" with options
HANDED_OFF = "handed_off"  # a ticket was opened; the reply names the department and the due time
HANDOFF_LIMITED = "handoff_limited"  # too many hand-offs in a minute: no ticket, "wait a minute"
ADDED_TO_TICKET = "added_to_ticket"  # a ticket was open: the message is the officer's to read
CANCELLED = "cancelled"  # "thôi không cần nữa" closed the open ticket
TEXT_ONLY = "text_only"  # an attachment with no ticket open: the bot reads text only
OFFICER_IN_CHANNEL = "officer_in_channel"  # an officer wrote in the channel's own tool: the bot steps back
MESSAGE_FAILED = "message_failed"  # a message the system gave up on went to the general queue
FEEDBACK = "feedback"  # "có"/"không" on an answer, or the rating / comment of a resolved request

# The key under which a channel passes the citizen's display name in a message's metadata (the
# action server reads it from Rasa's tracker), so a ticket shows who wrote.
NAME_METADATA = "citizen_name"


@dataclass(frozen=True)
class Citizen:
    """Who wrote, as the channel knows them: `id` is unique across channels ("rest:…" vs digits)."""

    id: str
    channel: str
    name: str | None = None


@dataclass(frozen=True)
class Outcome:
    kind: str
    replies: tuple[Reply, ...] = ()
    state: DialogueState = DialogueState()
    decision: Decision | None = None  # None when the bot decided nothing (a ticket held the message)
    ticket_id: int | None = None

"""What the core asks of a channel to reach a citizen outside a turn (an officer's reply).

Each channel implements `CitizenOutbox` next to its client (Zalo: connectors/zalo/outbox.py) and
the process that runs the inbox registers it by channel name (processes/web.py). The core never
imports a channel; a channel with no outbox (REST) cannot be answered from the inbox.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.replies import Button, Reply

OPEN, CLOSING, CLOSED = "open", "closing", "closed"


@dataclass(frozen=True)
class ReplyWindow:
    """Whether, and until when, the channel lets us write to the citizen unprompted."""

    state: str  # open | closing (under 24 h left) | closed
    closes_at: datetime | None
    free_left: int  # free messages left (an estimate; the channel's own counting rules)
    free_until: datetime | None

    @property
    def can_send(self) -> bool:
        return self.state != CLOSED


NO_WINDOW = ReplyWindow(CLOSED, None, 0, None)


@dataclass(frozen=True)
class Sent:
    """The fate of one outbound message, as the channel reports it."""

    delivered: bool
    status: str  # the channel's word: sent | refused | undelivered …
    message_id: str | None = None
    error_code: int | None = None
    error_message: str | None = None


class CitizenOutbox(Protocol):
    channel: str
    text_limit: int

    def window(self, citizen_id: str, last_citizen_at: datetime | None, now: datetime | None = None) -> ReplyWindow:
        """The reply window after the citizen's last message (reads the channel's own records)."""
        ...

    async def send_text(self, citizen_id: str, text: str, reference: str, buttons: Sequence[Button] = ()) -> Sent:
        """Deliver one text (with `buttons` where the channel shows them; the text lists them too)
        and keep its fate under `reference` (e.g. "ticket:12")."""
        ...


Outboxes = Mapping[str, CitizenOutbox]  # by channel name


async def send_reply(outbox: CitizenOutbox, citizen_id: str, reply: Reply, reference: str) -> Sent:
    """One `Reply` outside a turn (the closing message and its rating question), with its buttons;
    its text lists them too (numbered), for a channel or an app that shows none."""
    if reply.buttons:
        return await outbox.send_text(citizen_id, reply.text, reference, buttons=reply.buttons)
    return await outbox.send_text(citizen_id, reply.text, reference)


class OrderedErasure(Protocol):
    """Erase a citizen between two of their events (the channel's per-citizen order), so a turn in
    flight cannot bring back what was erased. Returns `bot.privacy.Erasure`."""

    async def __call__(self, citizen_id: str, source: str, reason: str, staff_id: int | None = None,
                       username: str | None = None) -> Any: ...


class ChannelError(Exception):
    """A channel's API refused or failed a call (Zalo's errors derive from it)."""

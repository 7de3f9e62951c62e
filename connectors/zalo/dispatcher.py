"""A stored Zalo event handled: the turn worker's handler for the inbound ledger's Zalo events.

Receivers store events (connectors/zalo/receiver.py); turn workers (processes/worker.py) run
`InboundLedger`'s worker loop with `handle_stored` as the handler, so one citizen's events are
handled in arrival order by one worker at a time and each exactly once, across any number of
worker processes: order and exactly-once come from the ledger's per-citizen leases, not from
this process's memory. An event whose handling keeps failing is parked by the ledger; then
`parked` hands the citizen to an officer (a ticket in the general queue) and tells them so.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import and_, update

from bot.core.channel_events import ChannelEvents
from bot.db import storable, utc_now, zalo_event
from bot.core.outcome import NAME_METADATA, Citizen, Outcome
from bot.inbound_ledger import InboundLedger, LedgerWorker, PendingEvent
from bot.privacy import WITHDRAW, Erasure, erase_citizen
from bot.replies import Replies
from bot.zalo_store import ERROR_LIMIT, ZaloStore
from connectors.limits import MESSAGES_PER_MINUTE, SenderRate
from connectors.zalo.api import ZaloApiClient, sent_in
from connectors.zalo.events import (
    CHANNEL, CLICK_CHAT_NOW, FOLLOW, UNFOLLOW, USER_WITHDRAW, MalformedEvent, ZaloEvent, parse_event,
)
from connectors.zalo.receiver import MAX_DEPTH, ZaloReceiver, nesting_depth  # noqa: F401 - re-exported
from connectors.zalo.turns import BotTurn

logger = logging.getLogger(__name__)

OFFICER = "officer"  # zalo_outbound status of a message an officer typed in Zalo's OA chat tool
CITIZEN_SENT = "user_send_"  # the keys of what a citizen sent (ZaloEvent.key starts with the event's name)
# Turns in flight to Rasa at once from one worker: more only queue in Rasa's event loop.
MAX_CONCURRENT_TURNS = 4
# A failing event is tried again after RETRY_SECONDS (its citizen's later events wait); after
# this many attempts it is parked as dead, an officer gets it as a ticket and the citizen is told.
MAX_ATTEMPTS = 5
RETRY_SECONDS = 30.0
LEASE_SECONDS = 30.0
# An erasure waits for the citizen's turn in flight; a turn is seconds at most.
ERASE_WAIT_SECONDS = 2 * LEASE_SECONDS


class ZaloDispatcher:
    def __init__(
        self,
        app_id: str,
        oa_secret_key: str,
        store: ZaloStore,
        client: ZaloApiClient,
        replies: Replies,
        on_new_message: Callable[[BotTurn], Awaitable[Any]],
        output_factory: Callable[[str, str | None], Any],
        events: ChannelEvents,
        notice: str = "",
    ) -> None:
        self.store = store
        self.client = client
        self.ledger = InboundLedger(store.engine)
        # Tests and a single process use the receiver through `accept`; processes/receiver.py has its own.
        self.receiver = ZaloReceiver(app_id, oa_secret_key, store.engine)
        self._replies = replies
        self._on_new_message = on_new_message
        self._output_factory = output_factory
        self.events = events  # the core's use cases for attachments, officers in Zalo, parked events
        self._notice = notice  # the privacy notice, sent once on a citizen's first contact
        self._turns = asyncio.Semaphore(MAX_CONCURRENT_TURNS)
        # For events without a timestamp only (the ledger counts the others): per worker process.
        self._rate = SenderRate(MESSAGES_PER_MINUTE)
        self._slow_down_told = SenderRate(1)  # "too fast" is said once a minute, not to every message

    async def accept(self, raw: bytes, headers: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """Check and store one webhook delivery (the receiver's job; here for tests and one process)."""
        return await self.receiver.accept(raw, headers)

    def worker(self, *, name: str | None = None, concurrency: int = 16, idle_seconds: float = 2.0,
               retry_seconds: float = RETRY_SECONDS, lease_seconds: float = LEASE_SECONDS) -> LedgerWorker:
        """A turn worker over the ledger with this dispatcher as its handler."""
        return LedgerWorker(self.ledger, self.handle_stored, name=name, concurrency=concurrency,
                            lease_seconds=lease_seconds, idle_seconds=idle_seconds, retry_seconds=retry_seconds,
                            max_attempts=MAX_ATTEMPTS, answered=self._answered_before, on_parked=self.parked)

    async def _answered_before(self, key: str) -> bool:
        """A worker died between sending the reply and marking the event: the reply counts. A reply
        it handed to Zalo without seeing the answer is settled first with Zalo's own record of the
        conversation: found there it counts as sent, otherwise the turn runs again."""
        unconfirmed = await asyncio.to_thread(self.store.unconfirmed_sends, key)
        if unconfirmed:
            recent = await self.client.recent_messages(unconfirmed[0].user_id)
            taken: set[str] = set()
            for row in unconfirmed:
                found = sent_in(recent, row.text, row.created_at, taken)
                await asyncio.to_thread(self.store.settle_send, row.id, found)
                logger.info("unconfirmed reply to %s %s", key, "found on Zalo" if found else "not on Zalo: sent again")
        if not await asyncio.to_thread(self.store.was_answered, key):
            return False
        await asyncio.to_thread(self.store.mark_handled, key)
        return True

    async def drain(self) -> None:
        """Handle everything stored until nothing is left, failures retried at once (tests)."""
        await self.worker(retry_seconds=0.0).drain()

    async def handle_stored(self, key: str, body: str) -> None:
        """The ledger's handler: one stored event, handled; an exception leaves it for a retry."""
        try:
            event = parse_event(json.loads(body))
        except (ValueError, MalformedEvent, RecursionError) as exc:  # read once before it was stored: rare
            await self._count_failure(key, exc)
            raise
        try:
            await self.handle(event)
            await self._notify_once(event)
        except Exception as exc:
            await self._count_failure(key, exc)
            raise
        await asyncio.to_thread(self.store.mark_handled, key)

    async def _count_failure(self, key: str, exc: Exception) -> None:
        """The channel's history (zalo_event) counts the failure too, for `/quan-tri/su-co`."""
        try:
            await asyncio.to_thread(self.store.record_failure, key, f"{type(exc).__name__}: {exc}", MAX_ATTEMPTS)
        except Exception:  # noqa: BLE001 - the database failing: the ledger keeps the event for a retry
            logger.exception("the failure of %s could not be recorded", key)

    async def parked(self, pending: PendingEvent, error: str) -> None:
        """The ledger parked an event as dead: mark it so in the history, hand the citizen to an officer."""
        logger.error("%s parked as dead after %d attempts", pending.key, MAX_ATTEMPTS)
        await asyncio.to_thread(self._park_in_history, pending.key, error)
        try:
            event = parse_event(json.loads(pending.body))
        except (ValueError, MalformedEvent, RecursionError):
            return
        user = event.user_id
        if user is None or not (event.is_user_text or event.is_user_attachment):
            return
        citizen = await self._citizen(user)
        outcome = await asyncio.to_thread(self.events.message_failed, citizen, event.text or f"({event.name})")
        await self._send_outcome(user, outcome, event.key)

    async def handle(self, event: ZaloEvent) -> None:
        user = event.user_id
        if user is None:
            logger.info("event %s names no citizen; recorded only", event.name)
            return
        if event.is_user_text:
            await self._to_bot(event, user)
        elif event.is_user_attachment:
            attachments = [dict(a) for a in event.attachments] or [{"type": event.name}]
            await asyncio.to_thread(self.store.add_attachments, user, attachments)
            outcome = await asyncio.to_thread(self.events.attachment, await self._citizen(user), event.text or "",
                                              {"attachments": attachments, "event": event.name})
            await self._send_outcome(user, outcome, event.key)
        elif event.name == FOLLOW:
            await asyncio.to_thread(self.store.update_conversation, user, is_follower=True)
            await self._send(user, self._replies.text("welcome"), event.key)
        elif event.name == CLICK_CHAT_NOW:
            await self._send(user, self._replies.text("welcome"), event.key)
        elif event.name == UNFOLLOW:
            await asyncio.to_thread(self.store.update_conversation, user, is_follower=False)
        elif event.is_officer_message:
            # An officer answered in Zalo's own chat tool: a ticket holds the citizen, the bot steps back.
            await asyncio.to_thread(self.events.officer_wrote, await self._citizen(user), event.text or "", event.admin_id)
            await asyncio.to_thread(self.store.record_outbound, event.key, user, event.text or "", OFFICER, 0)
        elif event.is_oa_message:
            return  # the echo of our own send
        elif event.name == USER_WITHDRAW:
            # Consent withdrawn (Nghị định 13/2023/NĐ-CP): everything about them goes now, and with
            # their unhandled events marked handled nothing more is sent to them.
            await asyncio.to_thread(erase_citizen, self.store.engine, user, WITHDRAW, "")
        else:
            logger.info("event %s is not handled; recorded only", event.name)

    async def _citizen(self, user: str) -> Citizen:
        conversation = await asyncio.to_thread(self.store.conversation, user)
        return Citizen(user, CHANNEL, conversation.display_name if conversation is not None else None)

    async def _to_bot(self, event: ZaloEvent, user: str) -> None:
        """Every text goes to the bot, whose core knows whether a ticket holds the citizen."""
        citizen = await self._citizen(user)
        if not citizen.name:
            name = await self.client.display_name(user)
            await asyncio.to_thread(self.store.update_conversation, user, display_name=name)
            citizen = Citizen(user, CHANNEL, name)
        place = await asyncio.to_thread(self.ledger.place_in_minute, CHANNEL, event.key, CITIZEN_SENT)
        if place is None:  # no timestamp: counted in this process
            over = not self._rate.allow(user)
            tell = over and self._slow_down_told.allow(user)
        else:  # counted in the ledger, so alike across workers and retries
            over, tell = place > MESSAGES_PER_MINUTE, place == MESSAGES_PER_MINUTE + 1
        if over:
            logger.warning("%s sent more than %d messages a minute; %s not given to the bot", user, MESSAGES_PER_MINUTE, event.key)
            if tell:
                await self._send(user, self._replies.text("too_many_messages"), event.key)
            return
        output = self._output_factory(user, event.key)
        metadata = {
            "zalo": {k: event.raw.get(k) for k in ("app_id", "timestamp", "user_id_by_app")} | {"msg_id": event.msg_id},
            NAME_METADATA: citizen.name,
        }
        async with self._turns:
            await self._on_new_message(BotTurn(event.text or "", output, user, message_id=event.msg_id, metadata=metadata))
        await output.flush()

    def _park_in_history(self, key: str, error: str) -> None:
        """zalo_event dead too (its own count may lag: the ledger also counts attempts cut off by a kill)."""
        with self.store.engine.begin() as conn:
            conn.execute(update(zalo_event).where(and_(zalo_event.c.event_key == key, zalo_event.c.dead_at.is_(None)))
                         .values(dead_at=utc_now(), last_error=storable(error)[:ERROR_LIMIT]))

    async def _send_outcome(self, user: str, outcome: Outcome, event_key: str) -> None:
        if outcome.replies:
            output = self._output_factory(user, event_key)
            for reply in outcome.replies:
                await output.send_text_message(user, reply.text)
            await output.flush()

    async def _send(self, user: str, text: str, event_key: str) -> None:
        output = self._output_factory(user, event_key)
        await output.send_text_message(user, text)
        await output.flush()

    async def erase(self, user: str, source: str, reason: str, staff_id: int | None = None,
                    username: str | None = None) -> Erasure:
        """Erase a citizen between two of their turns: erased under a turn in flight, the turn's
        reply, decision and Rasa's tracker (saved whole when its rows are gone) would come back.
        The citizen's ledger lease keeps every turn worker away meanwhile."""
        holder = f"erasure:{id(self):x}"
        deadline = asyncio.get_running_loop().time() + ERASE_WAIT_SECONDS
        while not await asyncio.to_thread(self.ledger.hold, user, holder, ERASE_WAIT_SECONDS):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"citizen {user} stayed busy for {ERASE_WAIT_SECONDS:.0f} s; erase again")
            await asyncio.sleep(0.05)
        try:
            return await asyncio.to_thread(erase_citizen, self.store.engine, user, source, reason, staff_id, username)
        finally:
            await asyncio.to_thread(self.ledger.release, user, holder)

    async def _notify_once(self, event: ZaloEvent) -> None:
        """The privacy notice, after the reply to a citizen's first follow, chat-now click or message."""
        if not self._notice or event.user_id is None:
            return
        if not (event.is_user_text or event.is_user_attachment or event.name in (FOLLOW, CLICK_CHAT_NOW)):
            return
        if await asyncio.to_thread(self.store.mark_notified, event.user_id):
            await self._send(event.user_id, self._notice, event.key)

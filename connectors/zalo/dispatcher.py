"""From an accepted webhook body to the bot and back, exactly once and in order per citizen.

`accept` runs inside the webhook request: it checks the body, stores the event (the exactly-once
ledger) and schedules its handling, so Zalo gets its 200 well inside 2 seconds. Handling runs in
the background, one citizen's events strictly in arrival order, different citizens in parallel.
Events stored but not handled when the process stopped are handled on the next start.
"""
from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.core.channel_events import ChannelEvents
from bot.core.outcome import NAME_METADATA, Citizen, Outcome
from bot.privacy import WITHDRAW, Erasure, erase_citizen
from bot.replies import Replies
from bot.zalo_store import ZaloStore
from connectors.limits import MESSAGES_PER_MINUTE, SenderRate
from connectors.zalo.api import ZaloApiClient
from connectors.zalo.events import (
    CHANNEL, CLICK_CHAT_NOW, FOLLOW, UNFOLLOW, USER_WITHDRAW, MalformedEvent, ZaloEvent, parse_event,
)
from connectors.zalo.signature import HEADER, verify_signature
from connectors.zalo.turns import BotTurn

logger = logging.getLogger(__name__)

OFFICER = "officer"  # zalo_outbound status of a message an officer typed in Zalo's OA chat tool
# Turns in flight to Rasa at once: Rasa runs NLU on one event loop, so more only queue there.
MAX_CONCURRENT_TURNS = 4
# A failing event is tried on arrival and at each sweep (30 s apart); after this many failures it
# is parked as dead, an officer gets it as a ticket and the citizen is told.
MAX_ATTEMPTS = 5
# Zalo's events nest four levels (message.attachments[].payload); deeper is not Zalo.
MAX_DEPTH = 8


def nesting_depth(raw: bytes) -> int:
    """How deep the JSON's arrays and objects nest, brackets inside strings not counted."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


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
        self._app_id = app_id
        self._secret = oa_secret_key
        self.store = store
        self.client = client
        self._replies = replies
        self._on_new_message = on_new_message
        self._output_factory = output_factory
        self.events = events  # the core's use cases for attachments, officers in Zalo, parked events
        self._notice = notice  # the privacy notice, sent once on a citizen's first contact
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}
        self._tasks: set[asyncio.Task] = set()
        self._in_flight: set[str] = set()
        self._turns = asyncio.Semaphore(MAX_CONCURRENT_TURNS)
        self._rate = SenderRate(MESSAGES_PER_MINUTE)
        self._slow_down_told = SenderRate(1)  # "too fast" is said once a minute, not to every message
        # The acknowledgement's one insert gets threads of its own: queued behind the background
        # work's database calls in the shared default pool, it waited hundreds of milliseconds.
        self._ledger = ThreadPoolExecutor(max_workers=2, thread_name_prefix="zalo-ledger")

    async def accept(self, raw: bytes, headers: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """Check, store and schedule one webhook delivery; returns (HTTP status, JSON body)."""
        if nesting_depth(raw) > MAX_DEPTH:
            return 400, {"error": f"the JSON nests deeper than {MAX_DEPTH} levels"}
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return 400, {"error": "the body is not JSON"}
        if not isinstance(body, dict):
            return 400, {"error": "the body is not a JSON object"}
        app_id, timestamp = str(body.get("app_id", "")), str(body.get("timestamp", ""))
        if app_id != self._app_id:
            logger.warning("webhook for unknown app_id %r refused", app_id)
            return 401, {"error": "unknown app_id"}
        if not verify_signature(headers.get(HEADER), app_id, raw, timestamp, self._secret):
            logger.warning("webhook with a wrong or missing %s refused", HEADER)
            return 401, {"error": "bad signature"}
        try:
            event = parse_event(body)
        except MalformedEvent as exc:
            return 400, {"error": str(exc)}
        stored = await asyncio.get_running_loop().run_in_executor(
            self._ledger, self.store.record_event, event.key, event.name, event.user_id, raw.decode("utf-8", "replace"))
        if not stored:
            logger.info("duplicate delivery of %s ignored (num_retry=%s)", event.key, headers.get("num_retry"))
            return 200, {"status": "duplicate"}
        self._schedule(event)
        return 200, {"status": "accepted"}

    async def resume(self) -> int:
        """Handle the events acknowledged but never handled (before a stop, or while the bot or the
        database was away); returns how many were scheduled."""
        count = 0
        for key, body in await asyncio.to_thread(self.store.unhandled_events):
            if key in self._in_flight:
                continue
            if await asyncio.to_thread(self.store.was_answered, key):
                await asyncio.to_thread(self.store.mark_handled, key)
                continue
            try:
                event = parse_event(json.loads(body))
            except (ValueError, MalformedEvent, RecursionError) as exc:
                logger.exception("stored event %s cannot be read; parked as dead", key)
                await asyncio.to_thread(self.store.record_failure, key, f"{type(exc).__name__}: {exc}", 1)
                continue
            self._schedule(event)
            count += 1
        if count:
            logger.info("resuming %d events received before the last stop", count)
        return count

    async def drain(self) -> None:
        """Wait until every scheduled event is handled (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _schedule(self, event: ZaloEvent) -> None:
        self._in_flight.add(event.key)
        task = asyncio.create_task(self._handle_in_order(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle_in_order(self, event: ZaloEvent) -> None:
        user = event.user_id or ""
        lock = self._locks.setdefault(user, asyncio.Lock())
        self._waiting[user] = self._waiting.get(user, 0) + 1
        try:
            async with lock:
                try:
                    await self.handle(event)
                    await self._notify_once(event)
                except Exception as exc:  # noqa: BLE001 - the outermost boundary of a background task
                    logger.exception("handling %s failed", event.key)
                    await self._failed(event, exc)
                    return
                await asyncio.to_thread(self.store.mark_handled, event.key)
        finally:
            self._in_flight.discard(event.key)
            self._waiting[user] -= 1
            if not self._waiting[user]:
                del self._waiting[user], self._locks[user]

    async def _failed(self, event: ZaloEvent, exc: Exception) -> None:
        """Count the failure; at MAX_ATTEMPTS park the event, hand the citizen to an officer, say so."""
        try:
            dead = await asyncio.to_thread(self.store.record_failure, event.key, f"{type(exc).__name__}: {exc}", MAX_ATTEMPTS)
        except Exception:  # noqa: BLE001 - the database itself failing: the next sweep tries again
            logger.exception("the failure of %s could not be recorded", event.key)
            return
        if not dead:
            logger.info("%s stays unhandled; the next sweep tries again", event.key)
            return
        logger.error("%s parked as dead after %d failed attempts", event.key, MAX_ATTEMPTS)
        user = event.user_id
        if user is None or not (event.is_user_text or event.is_user_attachment):
            return
        try:
            citizen = await self._citizen(user)
            outcome = await asyncio.to_thread(self.events.message_failed, citizen, event.text or f"({event.name})")
            await self._send_outcome(user, outcome, event.key)
        except Exception:  # noqa: BLE001 - parked and shown to operators either way
            logger.exception("could not hand the parked event %s to an officer", event.key)

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
        if not self._rate.allow(user):
            logger.warning("%s sent more than %d messages a minute; %s not given to the bot", user, MESSAGES_PER_MINUTE, event.key)
            if self._slow_down_told.allow(user):
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
        """Erase a citizen between two of their events: erased under a turn in flight, the turn's
        reply, decision and Rasa's tracker (saved whole when its rows are gone) would come back."""
        lock = self._locks.setdefault(user, asyncio.Lock())
        self._waiting[user] = self._waiting.get(user, 0) + 1
        try:
            async with lock:
                return await asyncio.to_thread(erase_citizen, self.store.engine, user, source, reason, staff_id, username)
        finally:
            self._waiting[user] -= 1
            if not self._waiting[user]:
                del self._waiting[user], self._locks[user]

    async def _notify_once(self, event: ZaloEvent) -> None:
        """The privacy notice, after the reply to a citizen's first follow, chat-now click or message."""
        if not self._notice or event.user_id is None:
            return
        if not (event.is_user_text or event.is_user_attachment or event.name in (FOLLOW, CLICK_CHAT_NOW)):
            return
        if await asyncio.to_thread(self.store.mark_notified, event.user_id):
            await self._send(event.user_id, self._notice, event.key)

"""Citizens' events stored on arrival and handled by several turn workers, in order per citizen.

A receiver `record`s each event (any channel) before it acknowledges it. Turn workers (one or
many processes, on SQLite or PostgreSQL) `claim` citizens: a claim is a lease row per citizen,
taken by one conditional upsert, so at most one worker holds a citizen at a time and handles
that citizen's events strictly in the order the citizen sent them (the channel's timestamp; arrival
order where a channel gives none): Zalo delivers webhooks concurrently, so two messages sent
half a second apart can be stored in the reverse order. (An earlier message stored only after a
later one was handled, e.g. delivered again after a receiver died, is handled when it comes.) A lease has a deadline, renewed while the
worker works: a worker that dies (`kill -9`, a lost machine) stops renewing, and after the
deadline another worker takes the citizen over. An event already started once is checked with
the handler's own record of replies (`answered`) before it is handled again, so nothing is
answered twice; a failing event blocks only its citizen, is retried after a pause and parked
as dead after `max_attempts`.

Deadlines are epoch milliseconds from the workers' clocks: on several machines those clocks
must agree (NTP) to well within a lease, which is tens of seconds.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger, Column, Index, Integer, String, Table, Text, UniqueConstraint, and_, delete, func, insert, or_, select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.db import UtcDateTime, metadata, storable, utc_now

logger = logging.getLogger(__name__)

inbound_event = Table(
    "inbound_event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("event_key", String(160), nullable=False),
    Column("citizen", String(128), nullable=False),
    Column("body", Text, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("handled_at", UtcDateTime),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("dead_at", UtcDateTime),
    Column("sent_ms", BigInteger),  # when the citizen sent it, by the channel's clock (epoch ms); None: not given
    UniqueConstraint("channel", "event_key", name="uq_inbound_event_key"),
    Index("ix_inbound_event_sent", "citizen", "sent_ms"),  # a citizen's rate of messages (`place_in_minute`)
)

inbound_lease = Table(
    "inbound_lease",
    metadata,
    Column("citizen", String(128), primary_key=True),
    Column("worker", String(64), nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
)

ERROR_LIMIT = 2000
HELD_FOR_RETRY = ""  # the lease's worker while a failed event waits for its retry
_PENDING = and_(inbound_event.c.handled_at.is_(None), inbound_event.c.dead_at.is_(None))
# A citizen's waiting events: as sent, then as stored (events without a timestamp after those with one).
_CITIZENS_ORDER = (inbound_event.c.sent_ms.asc().nulls_last(), inbound_event.c.id)


def epoch_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class PendingEvent:
    id: int
    key: str
    citizen: str
    body: str
    tried_before: bool  # a worker started it before (and died or failed): check `answered` first


class InboundLedger:
    """The database side: record, claim, next event, handled/failed, release."""

    def __init__(self, engine: Engine, clock: Callable[[], int] = epoch_ms) -> None:
        self.engine = engine
        self.clock = clock

    def record(self, channel: str, key: str, citizen: str, body: str, sent_ms: int | None = None) -> bool:
        """Store an event; False when (channel, key) was stored before: a duplicate delivery."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(inbound_event).values(
                    channel=channel, event_key=key, citizen=citizen, body=storable(body), received_at=utc_now(),
                    sent_ms=sent_ms))
            return True
        except IntegrityError:
            return False

    def place_in_minute(self, channel: str, key: str, counted: str = "") -> int | None:
        """How many of its citizen's events whose key starts with `counted` (the channel's word for
        what the citizen sent: not the echoes of the OA's own replies) were sent in the minute up
        to this one, itself included, by the channel's clock; None for an event without a
        timestamp. The same answer from every worker and on every retry, and after a backlog: a
        citizen's rate is one of sending, not of when a worker got to it."""
        this = select(inbound_event.c.citizen, inbound_event.c.sent_ms, inbound_event.c.id).where(and_(
            inbound_event.c.channel == channel, inbound_event.c.event_key == key)).subquery()
        other = inbound_event.c
        with self.engine.connect() as conn:
            found = conn.execute(select(this.c.sent_ms)).first()
            if found is None or found.sent_ms is None:
                return None
            return int(conn.execute(select(func.count()).select_from(inbound_event.join(this, other.citizen == this.c.citizen))
                                    .where(other.channel == channel, other.event_key.startswith(counted, autoescape=True),
                                           other.sent_ms > this.c.sent_ms - 60_000,
                                           or_(other.sent_ms < this.c.sent_ms,
                                               and_(other.sent_ms == this.c.sent_ms, other.id <= this.c.id)))).scalar_one())

    def claim(self, worker: str, limit: int, lease_seconds: float) -> list[str]:
        """Take up to `limit` citizens with waiting events that no live lease holds; oldest first."""
        now = self.clock()
        first = func.min(inbound_event.c.id)
        with self.engine.connect() as conn:
            candidates = conn.execute(
                select(inbound_event.c.citizen, first)
                .select_from(inbound_event.outerjoin(inbound_lease, inbound_lease.c.citizen == inbound_event.c.citizen))
                .where(_PENDING, or_(inbound_lease.c.citizen.is_(None), inbound_lease.c.expires_ms < now))
                .group_by(inbound_event.c.citizen)
                .order_by(first)
                .limit(limit * 2)  # some are taken by other workers meanwhile
            ).scalars().all()
        claimed: list[str] = []
        for citizen in candidates:
            if self._take(citizen, worker, now, now + int(lease_seconds * 1000)):
                claimed.append(citizen)
                if len(claimed) == limit:
                    break
        return claimed

    def _take(self, citizen: str, worker: str, now: int, expires: int) -> bool:
        """One upsert: a new lease row, or an expired one taken over; no other case writes."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(inbound_lease).values(citizen=citizen, worker=worker, expires_ms=expires)
        statement = statement.on_conflict_do_update(
            index_elements=[inbound_lease.c.citizen],
            set_={"worker": worker, "expires_ms": expires},
            where=inbound_lease.c.expires_ms < now,
        )
        with self.engine.begin() as conn:
            return conn.execute(statement).rowcount == 1

    def next_event(self, citizen: str, worker: str, lease_seconds: float) -> PendingEvent | None:
        """The citizen's first waiting event as sent, started now, if `worker` still holds the citizen.

        None when nothing waits or the lease was lost (the worker was too slow and another took
        over): the lease is renewed in the same transaction, so a lost lease starts nothing.
        """
        now = self.clock()
        with self.engine.begin() as conn:
            held = conn.execute(update(inbound_lease).where(and_(
                inbound_lease.c.citizen == citizen, inbound_lease.c.worker == worker, inbound_lease.c.expires_ms >= now,
            )).values(expires_ms=now + int(lease_seconds * 1000))).rowcount == 1
            if not held:
                return None
            row = conn.execute(
                select(inbound_event.c.id, inbound_event.c.event_key, inbound_event.c.body, inbound_event.c.attempts)
                .where(inbound_event.c.citizen == citizen, _PENDING)
                .order_by(*_CITIZENS_ORDER).limit(1)
            ).first()
            if row is None:
                return None
            conn.execute(update(inbound_event).where(inbound_event.c.id == row.id)
                         .values(attempts=inbound_event.c.attempts + 1))
        return PendingEvent(row.id, row.event_key, citizen, row.body, row.attempts > 0)

    def hold(self, citizen: str, holder: str, lease_seconds: float) -> bool:
        """Take one citizen's lease whether or not events wait (e.g. to erase them between two turns);
        False while a live lease holds them. Give it back with `release`."""
        now = self.clock()
        return self._take(citizen, holder, now, now + int(lease_seconds * 1000))

    def renew(self, citizen: str, worker: str, lease_seconds: float) -> bool:
        now = self.clock()
        with self.engine.begin() as conn:
            return conn.execute(update(inbound_lease).where(and_(
                inbound_lease.c.citizen == citizen, inbound_lease.c.worker == worker,
            )).values(expires_ms=now + int(lease_seconds * 1000))).rowcount == 1

    def mark_handled(self, event_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(inbound_event).where(and_(inbound_event.c.id == event_id, inbound_event.c.handled_at.is_(None)))
                         .values(handled_at=utc_now()))

    def record_failure(self, event_id: int, error: str, max_attempts: int) -> bool:
        """Keep the error; True when this failure parks the event as dead (not tried again)."""
        with self.engine.begin() as conn:
            conn.execute(update(inbound_event).where(inbound_event.c.id == event_id)
                         .values(last_error=storable(error)[:ERROR_LIMIT]))
            return conn.execute(update(inbound_event).where(and_(
                inbound_event.c.id == event_id, inbound_event.c.dead_at.is_(None), inbound_event.c.handled_at.is_(None),
                inbound_event.c.attempts >= max_attempts,
            )).values(dead_at=utc_now())).rowcount == 1

    def release(self, citizen: str, worker: str, retry_after: float = 0.0) -> None:
        """Give the citizen back: at once, or held by nobody until `retry_after` seconds pass."""
        with self.engine.begin() as conn:
            mine = and_(inbound_lease.c.citizen == citizen, inbound_lease.c.worker == worker)
            if retry_after > 0:
                conn.execute(update(inbound_lease).where(mine).values(
                    worker=HELD_FOR_RETRY, expires_ms=self.clock() + int(retry_after * 1000)))
            else:
                conn.execute(delete(inbound_lease).where(mine))

    def pending(self) -> int:
        """Events neither handled nor parked (operators, tests)."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(inbound_event).where(_PENDING)).scalar_one())


Handler = Callable[[str, str], Awaitable[None]]
OnParked = Callable[[PendingEvent, str], Awaitable[None]]


class LedgerWorker:
    """A turn worker: claims citizens and runs `handle(key, body)` for their events, in order.

    Several run at once in one process or many. `answered(key)` says whether the handler already
    recorded a reply for an event: it is asked only for an event started before, which is then
    marked handled without running again. An exception from it counts as a failure of the event.
    """

    def __init__(self, ledger: InboundLedger, handle: Handler, *, name: str | None = None, concurrency: int = 4,
                 lease_seconds: float = 30.0, idle_seconds: float = 0.25, retry_seconds: float = 30.0,
                 max_attempts: int = 5, answered: Callable[[str], Awaitable[bool]] | None = None,
                 on_parked: OnParked | None = None) -> None:
        self.ledger = ledger
        self.handle = handle
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[-64:]
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.idle_seconds = idle_seconds
        self.retry_seconds = retry_seconds
        self.max_attempts = max_attempts
        self.answered = answered
        self.on_parked = on_parked  # told once when an event is parked as dead, with its last error
        self._wake = asyncio.Event()
        self._citizens: dict[str, asyncio.Task] = {}

    def wake(self) -> None:
        """A receiver in the same process stored an event: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Claim and work until cancelled; the citizens held are released on the way out."""
        try:
            while True:
                # Cleared before looking, so a wake that comes while claiming is not lost.
                self._wake.clear()
                await self.step()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.idle_seconds)
                except asyncio.TimeoutError:
                    pass
        finally:
            for task in list(self._citizens.values()):
                task.cancel()
            await asyncio.gather(*self._citizens.values(), return_exceptions=True)

    async def step(self) -> int:
        """Claim what there is room for and start working on it; returns how many were claimed."""
        room = self.concurrency - len(self._citizens)
        if room <= 0:
            return 0
        try:
            citizens = await asyncio.to_thread(self.ledger.claim, self.name, room, self.lease_seconds)
        except Exception:  # noqa: BLE001 - the database away for a moment: the next poll tries again
            logger.exception("claiming citizens failed")
            return 0
        for citizen in citizens:
            task = asyncio.create_task(self._work_on(citizen))
            self._citizens[citizen] = task
            task.add_done_callback(lambda _t, c=citizen: self._done(c))
        return len(citizens)

    def _done(self, citizen: str) -> None:
        self._citizens.pop(citizen, None)
        self._wake.set()  # room for another citizen

    async def drain(self) -> None:
        """Claim and work until nothing is left to claim and nothing runs (tests, benchmarks)."""
        while True:
            claimed = await self.step()
            if self._citizens:
                await asyncio.wait(list(self._citizens.values()), return_when=asyncio.FIRST_COMPLETED)
            elif not claimed:
                return

    async def _work_on(self, citizen: str) -> None:
        heartbeat = asyncio.create_task(self._keep_lease(citizen))
        retry_after = 0.0
        try:
            while True:
                event = await asyncio.to_thread(self.ledger.next_event, citizen, self.name, self.lease_seconds)
                if event is None:
                    break
                if not await self._handle_one(event):
                    retry_after = self.retry_seconds
                    break
        except Exception:  # noqa: BLE001 - the ledger itself failing: the lease runs out, someone retries
            logger.exception("working on citizen %s failed", citizen)
            return
        finally:
            heartbeat.cancel()
        try:
            await asyncio.to_thread(self.ledger.release, citizen, self.name, retry_after)
        except Exception:  # noqa: BLE001 - an unreleased lease only runs out
            logger.exception("releasing citizen %s failed", citizen)

    async def _handle_one(self, event: PendingEvent) -> bool:
        """Handle one event; False when it failed and stays for a retry (its citizen waits)."""
        try:
            if event.tried_before and self.answered is not None and await self.answered(event.key):
                logger.info("%s was answered before its worker stopped; not handled again", event.key)
                await asyncio.to_thread(self.ledger.mark_handled, event.id)
                return True
            await self.handle(event.key, event.body)
        except Exception as exc:  # noqa: BLE001 - the outermost boundary of one event's handling
            logger.exception("handling %s failed", event.key)
            parked = await asyncio.to_thread(self.ledger.record_failure, event.id, f"{type(exc).__name__}: {exc}",
                                             self.max_attempts)
            if parked:
                logger.error("%s parked as dead after %d attempts", event.key, self.max_attempts)
                if self.on_parked is not None:
                    try:
                        await self.on_parked(event, f"{type(exc).__name__}: {exc}")
                    except Exception:  # noqa: BLE001 - parked and shown to operators either way
                        logger.exception("what follows parking %s failed", event.key)
            return parked  # a parked event no longer holds its citizen's later ones back
        await asyncio.to_thread(self.ledger.mark_handled, event.id)
        return True

    async def _keep_lease(self, citizen: str) -> None:
        """Renew the lease while a (possibly slow) handler runs, at a third of its length."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                if not await asyncio.to_thread(self.ledger.renew, citizen, self.name, self.lease_seconds):
                    logger.warning("the lease on %s was lost; another worker may take it over", citizen)
                    return
            except Exception:  # noqa: BLE001 - retried at the next beat, before the lease runs out
                logger.exception("renewing the lease on %s failed", citizen)


"""Several turn workers on the inbound ledger: each event once, one citizen's events in order,
a dead worker's citizens taken over after its lease, on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import delete

from bot import paths
from bot.db import get_engine
from bot.inbound_ledger import InboundLedger, LedgerWorker, epoch_ms, inbound_event, inbound_lease
from tests.conftest import migrated_engine


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def url(request, tmp_path_factory):
    with migrated_engine(request.param, "ledger", tmp_path_factory) as engine:
        yield engine.url.render_as_string(hide_password=False)


@pytest.fixture
def ledger(url):
    """A ledger on the migrated database, emptied before each test; SQLite as the product opens it."""
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.execute(delete(inbound_lease))
        conn.execute(delete(inbound_event))
    yield InboundLedger(engine)
    engine.dispose()


class Clock:
    """Epoch milliseconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = epoch_ms()

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)


def _record(ledger: InboundLedger, citizen: str, count: int) -> list[str]:
    keys = [f"{citizen}-{n:03d}" for n in range(count)]
    for key in keys:
        assert ledger.record("zalo", key, citizen, f'{{"n": "{key}"}}')
    return keys


def _within(deadline: float, what: str) -> None:
    if time.monotonic() > deadline:
        raise AssertionError(f"{what} did not happen in time")


async def _all_handled(ledger: InboundLedger, seconds: float = 60) -> None:
    """Wait for the positive signal: no event waits any more (each marked handled)."""
    deadline = time.monotonic() + seconds
    while await asyncio.to_thread(ledger.pending):
        _within(deadline, "handling every event")
        await asyncio.sleep(0.02)


def test_a_duplicate_delivery_is_not_stored_twice(ledger):
    assert ledger.record("zalo", "m-1", "84-1", "{}")
    assert not ledger.record("zalo", "m-1", "84-1", "{}")
    assert ledger.record("rest", "m-1", "rest:1", "{}")  # another channel's key space
    assert ledger.pending() == 2


def test_a_citizens_events_are_taken_in_the_order_sent_not_the_order_stored(ledger):
    """Zalo delivers concurrently: the second message can be stored first. Events without a
    timestamp (another channel, or stored before migration 0013) come after, as stored."""
    assert ledger.record("zalo", "second", "84-1", "{}", sent_ms=1_765_000_000_500)
    assert ledger.record("zalo", "untimed", "84-1", "{}")
    assert ledger.record("zalo", "first", "84-1", "{}", sent_ms=1_765_000_000_000)
    assert ledger.record("zalo", "third", "84-1", "{}", sent_ms=1_765_000_000_900)
    assert ledger.record("zalo", "same-ms", "84-1", "{}", sent_ms=1_765_000_000_900)  # a tie: as stored
    handled: list[str] = []

    async def handle(key: str, body: str) -> None:
        handled.append(key)

    asyncio.run(LedgerWorker(ledger, handle, idle_seconds=0.01).drain())
    assert handled == ["first", "second", "third", "same-ms", "untimed"]


def test_two_workers_racing_on_one_citizens_50_events_handle_each_once_in_order(url, ledger):
    keys = _record(ledger, "84-race", 50)
    handled: list[tuple[str, str]] = []
    inside = {"now": 0, "most": 0}

    def handler(worker: str):
        async def handle(key: str, body: str) -> None:
            inside["now"] += 1
            inside["most"] = max(inside["most"], inside["now"])
            await asyncio.sleep(0)  # let the other worker run while this one is inside
            handled.append((worker, key))
            inside["now"] -= 1
        return handle

    async def race() -> None:
        # Each worker on its own engine (its own connections), as two processes would be.
        engines = [get_engine(url), get_engine(url)]
        workers = [LedgerWorker(InboundLedger(e), handler(name), name=name, idle_seconds=0.01)
                   for e, name in zip(engines, ("a", "b"))]
        tasks = [asyncio.create_task(w.run()) for w in workers]
        try:
            await _all_handled(ledger)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for engine in engines:
                engine.dispose()

    asyncio.run(race())
    assert [key for _, key in handled] == keys
    assert inside["most"] == 1
    assert ledger.pending() == 0


def test_many_citizens_on_two_workers_each_citizen_in_order(url, ledger):
    citizens = [f"84-{n}" for n in range(10)]
    for round_ in range(20):  # interleaved arrival, as after a broadcast
        for citizen in citizens:
            assert ledger.record("zalo", f"{citizen}-{round_:03d}", citizen, "{}")
    handled: dict[str, list[str]] = {c: [] for c in citizens}
    by_worker: dict[str, int] = {"a": 0, "b": 0}

    def handler(worker: str):
        async def handle(key: str, body: str) -> None:
            await asyncio.sleep(0)
            handled[key.rsplit("-", 1)[0]].append(key)
            by_worker[worker] += 1
        return handle

    async def run() -> None:
        workers = [LedgerWorker(InboundLedger(get_engine(url)), handler(n), name=n, concurrency=3, idle_seconds=0.01)
                   for n in ("a", "b")]
        tasks = [asyncio.create_task(w.run()) for w in workers]
        try:
            await _all_handled(ledger)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(run())
    for citizen, keys in handled.items():
        assert keys == [f"{citizen}-{r:03d}" for r in range(20)]
    assert by_worker["a"] and by_worker["b"]  # both took citizens
    assert ledger.pending() == 0


def test_a_dead_workers_citizen_is_taken_over_after_its_lease(ledger):
    clock = Clock()
    ledger.clock = clock
    keys = _record(ledger, "84-orphan", 5)
    assert ledger.claim("dead", 1, lease_seconds=30) == ["84-orphan"]  # then it never comes back
    handled: list[str] = []

    async def handle(key: str, body: str) -> None:
        handled.append(key)

    survivor = LedgerWorker(ledger, handle, name="survivor", lease_seconds=30)
    asyncio.run(survivor.drain())
    assert handled == []  # the lease still runs
    clock.advance(31)
    asyncio.run(survivor.drain())
    assert handled == keys


def test_a_failing_event_is_retried_before_its_citizens_next_one_then_parked(ledger):
    clock = Clock()
    ledger.clock = clock
    keys = _record(ledger, "84-fail", 4)
    failures = {keys[1]: 1, keys[2]: 99}  # the second fails once, the third always
    handled: list[str] = []

    async def handle(key: str, body: str) -> None:
        if failures.get(key, 0) > 0:
            failures[key] -= 1
            raise RuntimeError(f"no reply for {key}")
        handled.append(key)

    worker = LedgerWorker(ledger, handle, name="w", retry_seconds=30, max_attempts=3)
    asyncio.run(worker.drain())
    assert handled == keys[:1]  # the citizen waits for the retry: nothing after the failure runs
    for _ in range(3):
        clock.advance(31)
        asyncio.run(worker.drain())
    assert handled == [keys[0], keys[1], keys[3]]
    with ledger.engine.connect() as conn:
        dead = conn.execute(inbound_event.select().where(inbound_event.c.dead_at.is_not(None))).all()
    assert [(r.event_key, r.attempts) for r in dead] == [(keys[2], 3)]
    assert "no reply for" in dead[0].last_error
    assert ledger.pending() == 0


@pytest.mark.parametrize("replied", [False, True], ids=["hung-before-replying", "hung-after-replying"])
def test_a_killed_worker_loses_nothing_and_doubles_nothing(url, ledger, tmp_path, replied):
    keys = _record(ledger, "84-killed", 10)
    log = tmp_path / "replies.log"
    stuck = Path(f"{log}.stuck")
    doomed = subprocess.Popen(
        [sys.executable, "-m", "tests.bot.ledger_worker_process", url, str(log), keys[4], "1" if replied else "0"],
        cwd=paths.ROOT, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not stuck.exists():
            _within(deadline, "the worker process reaching the fifth event")
            assert doomed.poll() is None, "the worker process exited"
            time.sleep(0.05)  # polling for the marker file, the positive signal
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
    finally:
        if doomed.poll() is None:
            doomed.kill()

    async def answered(key: str) -> bool:
        return key in log.read_text(encoding="utf-8").split()

    async def handle(key: str, body: str) -> None:
        with log.open("a", encoding="utf-8") as file:
            file.write(key + "\n")

    survivor = LedgerWorker(ledger, handle, name="survivor", lease_seconds=1.0, answered=answered)
    deadline = time.monotonic() + 30
    while ledger.pending():  # the dead worker's lease (1 s) runs out, then the survivor takes over
        _within(deadline, "the take-over")
        asyncio.run(survivor.drain())
        time.sleep(0.05)
    assert log.read_text(encoding="utf-8").split() == keys

"""The receiver process stores and acknowledges; a turn worker is woken by it at once (no poll wait)."""
from __future__ import annotations

import asyncio
import json
import time

import httpx
from sqlalchemy import create_engine, delete, func, select

from bot.db import zalo_event
from bot.inbound_ledger import InboundLedger, LedgerWorker, inbound_event, inbound_lease
from bot.inbound_wake import WakeSender, listen, wake_addresses
from bot.migrate import upgrade
from bot.stack import free_port
from connectors.zalo.events import parse_event
from connectors.zalo.receiver import ZaloReceiver
from connectors.zalo.webhook import BODY_LIMIT
from processes.receiver import create_app
from tests.connectors.zalo.conftest import APP_ID, OA_SECRET, fixture_body, signed


def _post(engine, *bodies_and_headers):
    app = create_app()
    app.state.zalo_receiver = ZaloReceiver(APP_ID, OA_SECRET, engine)

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver.test") as client:
            return [await client.post("/webhooks/zalo/webhook", content=raw, headers=headers)
                    for raw, headers in bodies_and_headers]
    return asyncio.run(go())


def _clean(engine):
    with engine.begin() as conn:
        for table in (zalo_event, inbound_event, inbound_lease):
            conn.execute(delete(table))


def test_the_receiver_stores_once_and_acknowledges_a_duplicate_with_200(db_engine):
    _clean(db_engine)
    raw = fixture_body("user_send_text")
    first, again = _post(db_engine, (raw, signed(raw)), (raw, signed(raw) | {"num_retry": "1"}))
    assert (first.status_code, first.json()) == (200, {"status": "accepted"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    with db_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(zalo_event)).scalar_one() == 1
        [(citizen, body)] = conn.execute(select(inbound_event.c.citizen, inbound_event.c.body)).all()
    assert citizen == "2512523625412515" and body == raw.decode()
    _clean(db_engine)


def test_the_receiver_refuses_what_is_not_a_signed_zalo_event_and_stores_nothing(db_engine):
    _clean(db_engine)
    raw = fixture_body("user_send_text")
    deep = b'{"app_id": "sim-app", "x": ' + b"[" * 50 + b"]" * 50 + b"}"
    big = b'{"pad": "' + b"x" * BODY_LIMIT + b'"}'
    other_app = fixture_body("user_send_text", app_id="someone-else")
    responses = _post(db_engine, (raw, signed(raw, key="wrong")), (deep, {}), (big, {}), (other_app, signed(other_app)),
                      (b"{not json", {}))
    assert [r.status_code for r in responses] == [401, 400, 413, 401, 400]
    assert InboundLedger(db_engine).pending() == 0


def test_the_receiver_answers_503_when_the_database_is_away(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")
    raw = fixture_body("user_send_text")
    [response] = _post(engine, (raw, signed(raw)))
    assert response.status_code == 503


def test_wake_addresses_are_read_from_a_comma_separated_list():
    assert wake_addresses("127.0.0.1:5061, :5062") == [("127.0.0.1", 5061), ("127.0.0.1", 5062)]
    assert wake_addresses(None) == [] and wake_addresses("") == []


def test_a_stored_event_wakes_an_idle_worker_at_once(db_engine):
    """SQLite: a datagram on the worker's port; PostgreSQL: the insert's NOTIFY. The worker's own
    poll is 30 s here, so a handled event within a second was woken, not polled."""
    _clean(db_engine)
    port = free_port()
    receiver = ZaloReceiver(APP_ID, OA_SECRET, db_engine,
                            WakeSender(db_engine, [("127.0.0.1", port)] if db_engine.dialect.name == "sqlite" else []))
    handled: list[float] = []

    async def handle(key: str, body: str) -> None:
        handled.append(time.perf_counter())

    async def go() -> list[float]:
        worker = LedgerWorker(InboundLedger(db_engine), handle, concurrency=2, idle_seconds=30.0)
        tasks = [asyncio.create_task(worker.run()),
                 asyncio.create_task(listen(db_engine, worker.wake, port if db_engine.dialect.name == "sqlite" else None))]
        await asyncio.sleep(0.5)  # the worker's first look found nothing; it now waits up to 30 s
        delays = []
        for n in range(3):
            raw = fixture_body("user_send_text", message={"msg_id": f"wake-{n}"})
            stored_at = time.perf_counter()
            assert await asyncio.to_thread(receiver.store, parse_event(json.loads(raw)), raw.decode())
            while len(handled) <= n:
                await asyncio.sleep(0.002)
                assert time.perf_counter() - stored_at < 5, "the worker was not woken"
            delays.append(handled[n] - stored_at)
            await asyncio.sleep(0.3)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return delays

    delays = asyncio.run(go())
    print(db_engine.dialect.name, "wake -> handled (ms):", [round(d * 1000, 1) for d in delays])
    assert max(delays) < 1.0, delays
    _clean(db_engine)

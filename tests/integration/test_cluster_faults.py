"""Faults under load on the cluster's shape (issue 19): 2 receivers behind one address, 2 turn
workers, 2 Rasa servers, on a throw-away PostgreSQL (initdb/pg_ctl on its own port under a temp
dir) and a throw-away Redis (bot/throwaway.py). Citizens write while one process is killed (-9),
a database restarted or a new model put live; afterwards every accepted webhook has exactly one
reply, in the order each citizen sent them, and no citizen has two tickets. What Zalo would deliver again (no
200: a receiver died mid-request, the database was away) the test delivers again, as Zalo's retry
does; a duplicate is 200 and ignored.
"""
from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict

import httpx
import pytest
from sqlalchemy import bindparam, create_engine, func, select, text

from bench.cluster_load import calibrate, delivered_late, redeliver, tally_replies
from bench.webhook_load import ReplyWatcher
from bot.db import ticket
from bot.faq.rollout import RasaFleet
from bot.inbound_ledger import inbound_event
from bot.stack import start_stack
from bot.throwaway import ThrowAwayPostgres, ThrowAwayRedis, Unavailable
from tests.conftest import unavailable

pytestmark = [pytest.mark.model, pytest.mark.slow]

QUESTIONS: dict[str, str] = {}  # question -> the one reply Rasa's REST channel gives it (set by _calibrate)
CITIZENS, MESSAGES = 12, 4
REPLY_TIMEOUT = 150.0  # a killed worker's citizens wait for its leases (30 s), failed turns for a retry (30 s)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, trained_model):
    root = tmp_path_factory.mktemp("cluster")
    try:
        postgres = ThrowAwayPostgres()
    except Unavailable as exc:
        unavailable(str(exc))
    try:
        redis = ThrowAwayRedis(root)
    except Unavailable as exc:
        postgres.stop()
        unavailable(str(exc))
    stack = start_stack(trained_model, root / "stack", postgres.url, separate_simulator=True, receivers=2, workers=2,
                        rasa_servers=2, redis_url=f"redis://127.0.0.1:{redis.port}", worker_concurrency=8)
    try:
        asyncio.run(_calibrate(stack))
        asyncio.run(_load(stack, 4, 2, None))  # warm-up: every Rasa server's first turns
        yield stack, postgres, redis
    finally:
        stack.stop()
        redis.stop()
        postgres.stop()


async def _calibrate(stack, count: int = 6) -> None:
    """Questions with the one reply Rasa's REST channel gives them (bench/cluster_load.py's
    calibration): each citizen's replies can then be compared, in order, with what they asked."""
    QUESTIONS.update(await calibrate(stack, count, seed=9))
    assert len(QUESTIONS) == count, f"only {len(QUESTIONS)} questions have one steady reply"


async def _load(stack, citizens: int, messages: int, fault, duplicates: float = 0.1) -> dict:
    rng = random.Random(citizens * 31 + messages)
    limits = httpx.Limits(keepalive_expiry=1.0)  # before uvicorn's 5 s: a connection it is closing fails a request
    async with httpx.AsyncClient(base_url=f"{stack.sim_url}/zalo-sim/api", timeout=60, limits=limits) as sim:
        await sim.post("/reset")
        await sim.post("/switches/random-faults", json={"send_failure_rate": 0.0, "http_status": 503,
                                                        "duplicate_rate": duplicates, "seed": 3})
        users = [(await sim.post("/citizens", json={})).json()["user_id"] for _ in range(citizens)]
        watcher = ReplyWatcher(sim)
        poller = asyncio.create_task(watcher.run())
        sent: dict[str, list[str]] = defaultdict(list)

        async def citizen(user: str) -> None:
            await asyncio.sleep(rng.uniform(0, 2.0))
            for question in rng.sample(sorted(QUESTIONS), messages):
                sent[user].append(question)
                await sim.post(f"/citizens/{user}/messages", json={"text": question})
                await asyncio.sleep(rng.uniform(0.2, 0.8))

        writers = asyncio.gather(*(citizen(u) for u in users))
        if fault is not None:
            await asyncio.sleep(1.5)  # mid-burst
            await asyncio.to_thread(fault)
        await writers
        await asyncio.sleep(1.0)
        deliveries = (await sim.get("/webhook")).json()["deliveries"]
        redelivered = await redeliver(stack, deliveries)
        done = await asyncio.gather(*(watcher.wait(u, messages, REPLY_TIMEOUT) for u in users))
        await asyncio.sleep(3.0)  # late duplicates would show up here
        watcher.stop()
        await poller
        await sim.post("/switches/random-faults", json={})
    return {"users": users, "sent": sent, "late": delivered_late(deliveries, redelivered), "replies": watcher.replies,
            "done": all(done), "redelivered": len(redelivered), "deliveries": deliveries}


def _check(stack, outcome: dict) -> None:
    counts = {u: len(outcome["replies"][u]) for u in outcome["users"]}
    engine = create_engine(stack.database_url)
    short = [u for u, n in counts.items() if n != MESSAGES]
    if short:
        with engine.connect() as conn:
            rows = conn.execute(select(inbound_event.c.citizen, inbound_event.c.event_key, inbound_event.c.attempts,
                                       inbound_event.c.handled_at, inbound_event.c.dead_at, inbound_event.c.last_error)
                                .where(inbound_event.c.citizen.in_(short))).all()
            outbound = conn.execute(text("SELECT user_id, event_key, status FROM zalo_outbound WHERE user_id IN :u")
                                    .bindparams(bindparam("u", expanding=True)), {"u": short}).all()
        raise AssertionError(f"replies per citizen (want {MESSAGES} each): {counts}\nledger: {rows}\nsent: {outbound}")
    engine = create_engine(stack.database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(inbound_event).where(
                inbound_event.c.handled_at.is_(None))).scalar_one() == 0
            assert conn.execute(select(func.count()).select_from(inbound_event).where(
                inbound_event.c.dead_at.is_not(None))).scalar_one() == 0
            doubled = conn.execute(select(ticket.c.citizen_id).group_by(ticket.c.citizen_id)
                                   .having(func.count() > 1)).all()
            assert doubled == []
    finally:
        engine.dispose()
    # each question answered once, and in the order the citizen sent them (a message Zalo had to
    # deliver again is answered when it comes)
    for user in outcome["users"]:
        asked = outcome["sent"][user]
        tally = tally_replies(asked, {q for q in asked if (user, q) in outcome["late"]},
                              [r["text"] for r in outcome["replies"][user]], QUESTIONS)
        assert (tally.lost, tally.duplicated, tally.out_of_order, tally.wrong) == (0, 0, 0, 0), (
            f"{user}: {tally}; asked {asked}, late {outcome['late']}, replies {[r['text'][:50] for r in outcome['replies'][user]]}")


def test_a_worker_killed_under_load_its_citizens_continue_after_the_lease(cluster):
    stack, _, _ = cluster
    outcome = asyncio.run(_load(stack, CITIZENS, MESSAGES, lambda: stack.kill("worker-1")))
    _check(stack, outcome)
    stack.restart("worker-1")


def test_a_receiver_killed_under_load_zalos_retry_brings_what_it_did_not_store(cluster):
    stack, _, _ = cluster
    outcome = asyncio.run(_load(stack, CITIZENS, MESSAGES, lambda: stack.kill("receiver-1")))
    _check(stack, outcome)
    stack.restart("receiver-1")


def test_postgresql_restarted_under_load(cluster):
    """The two gaps this test found: a turn whose tracker Rasa could not save was taken for a
    silence the core chose (fba56b0), and the simulator listed two sends of one millisecond by
    conversation, so a poller skipped one (1c549e6)."""
    stack, postgres, _ = cluster
    outcome = asyncio.run(_load(stack, CITIZENS, MESSAGES, postgres.restart))
    _check(stack, outcome)


def test_a_rasa_server_killed_under_load_turns_go_to_the_other(cluster):
    stack, _, _ = cluster
    outcome = asyncio.run(_load(stack, CITIZENS, MESSAGES, lambda: stack.kill("rasa-1")))
    _check(stack, outcome)
    stack.restart("rasa-1")


def test_redis_restarted_under_load(cluster):
    stack, _, redis = cluster
    outcome = asyncio.run(_load(stack, CITIZENS, MESSAGES, redis.restart))
    _check(stack, outcome)


def test_a_model_published_while_two_rasa_servers_serve_every_turn_is_answered_once_in_order(cluster, trained_model):
    """A new model goes live mid-burst by the real path: the model server offers it under a new
    file name (a new ETag), both Rasa servers pull it (endpoints.yml `models:`, If-None-Match) and
    load it while turns arrive, and the release is live once each reports it in `GET /status`
    (bot/faq/publish.py `go_live` waiting through bot/faq/rollout.py). The new model is the trained
    model file published under a new name: what is tested is the swap under load, not training."""
    stack, _, _ = cluster
    swap: dict[str, object] = {}

    def publish() -> None:
        swap["started"] = time.time()
        swap["model"], swap["servers"] = stack.publish_copy(trained_model)
        swap["live"] = time.time()

    outcome = asyncio.run(_load(stack, CITIZENS, MESSAGES, publish))
    _check(stack, outcome)
    assert set(swap["servers"]) == set(stack.rasa_urls)
    # Both servers still serve the new file (Rasa names it after the model server's `filename`).
    assert asyncio.run(RasaFleet(stack.rasa_urls, stack.rasa_token).serving()) == dict.fromkeys(stack.rasa_urls, swap["model"])
    # and the swap happened under load: webhooks were accepted while the servers pulled and loaded it
    accepted = [a["sent_at"] for d in outcome["deliveries"] for a in d["attempts"] if a["status_code"] == 200]
    assert any(swap["started"] <= at <= swap["live"] for at in accepted), swap

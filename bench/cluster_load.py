#!/usr/bin/env python
"""A province OA's burst through the real processes: receivers, turn workers, Rasa servers.

After a broadcast, --citizens citizens each write --messages messages within --spread seconds
(typed one after another, 0.3-1.5 s apart, not waiting for answers), through the simulator ->
signed webhooks -> 2 receivers behind one address -> turn workers -> Rasa -> the simulator's
OA API. Run once with 1 Rasa server and 1 worker, then with 2 and 2 (each on a fresh
PostgreSQL database, Redis lock store), and print throughput, ack and reply p50/p95, the ratio,
lost / duplicated / out-of-order replies (each reply checked against the answer Rasa's REST
channel gives for the same question), and CPU seconds and peak memory by kind of process
(receiver, worker, rasa, actions, web, model server, ...; read from /proc).

--faults runs that once per fault, injected halfway through --spread (the faults of
tests/integration/test_cluster_faults.py): kill-worker, kill-rasa, kill-receiver (kill -9 of
the first one, started again 2 s later as systemd's Restart= does), restart-redis,
restart-postgres (then every run uses a throw-away Redis / PostgreSQL of its own: the machine's
are never restarted), publish (the served model file put live again under a new name, so every
Rasa server pulls and loads it mid-burst; no training). What got no 200 is delivered again
afterwards, as Zalo does; replies are compared with each citizen's questions in the order sent
(a message delivered late, after Zalo's retry, is answered when it comes).

--cores 1,2 holds each run to that many CPU cores (sched_setaffinity: the bench client, the
simulator, every process of the stack, and a PostgreSQL and Redis started for that run alike), so
that the figure a core adds is measured on this machine rather than estimated from CPU seconds.

  python bench/cluster_load.py [--citizens 2000] [--messages 5] [--spread 30] [--model PATH]
                               [--scales 1,2] [--cores 1,2] [--faults none,kill-worker,kill-rasa,kill-receiver,
                                                        restart-redis,restart-postgres,publish]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.webhook_load import ReplyWatcher, model_without_training, pct, print_table, questions  # noqa: E402
from bot.stack import Stack, start_stack  # noqa: E402
from bot.throwaway import ThrowAwayPostgres, ThrowAwayRedis, Unavailable  # noqa: E402
from bot.zalo_sim.state import CITIZEN_TO_OA  # noqa: E402
from bot.zalo_sim.webhook import signature_header  # noqa: E402

REPLY_TIMEOUT = 120.0  # seconds without a new reply before the bench stops waiting
TICKS = os.sysconf("SC_CLK_TCK")
KILLS = {"kill-worker": "worker-1", "kill-rasa": "rasa-1", "kill-receiver": "receiver-1"}
FAULTS = ("none", *KILLS, "restart-redis", "restart-postgres", "publish")
RESTART_AFTER = 2.0  # deploy/systemd's RestartSec=: a killed process is started again this much later


def fresh_database(url: str) -> str:
    parsed = make_url(url)
    with create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    return url


def proc_usage(pid: int) -> tuple[float, float]:
    """(CPU seconds so far, peak resident MB) of a process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICKS
        peak = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                    if line.startswith("VmHWM")) / 1024
        return cpu, peak
    except (OSError, StopIteration, IndexError, ValueError):
        return float("nan"), float("nan")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / TICKS, sum(fields) / TICKS


def postgres_cpu() -> float:
    """CPU seconds of every postgres process on this machine (the server's backends, any client's)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text_ = stat.read_text()
        except OSError:
            continue
        if "(postgres)" in text_:
            fields = text_.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


async def calibrate(stack: Stack, count: int, seed: int = 5) -> dict[str, str]:
    """Catalogue questions with their reply through Rasa's REST channel: the same for two senders,
    in one message (under 2,000 characters) and unlike the others' replies. A reply on Zalo must be
    exactly the reply to the question asked, so a reply out of order shows."""
    pool = [q for q, _ in questions()]
    random.Random(seed).shuffle(pool)
    kept: dict[str, str] = {}
    async with httpx.AsyncClient(timeout=60) as http:
        for n, question in enumerate(pool):
            replies = []
            for sender in (f"calibrate-{n}-a", f"calibrate-{n}-b"):
                response = await http.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": question})
                replies.append("\n\n".join(m.get("text", "") for m in response.json()))
            if replies[0] == replies[1] and 0 < len(replies[0]) < 1900 and replies[0] not in kept.values():
                kept[question] = replies[0]
            if len(kept) == count:
                break
    return kept


def delivered_late(deliveries: list[dict], redelivered: dict[tuple[str, str], float]) -> set[tuple[str, str]]:
    """(citizen, text) of the messages whose first delivery got no 200 (a receiver died mid-request,
    the database was away): Zalo delivers them again later and they are answered when they come,
    after what the citizen sent since, perhaps. Every other message is answered in the order sent."""
    on_time = {(d["body"]["sender"]["id"], d["body"]["message"]["text"]) for d in deliveries
               if d["event_name"] == "user_send_text" and d["attempts"] and d["attempts"][0]["status_code"] == 200}
    every = {(d["body"]["sender"]["id"], d["body"]["message"]["text"]) for d in deliveries if d["event_name"] == "user_send_text"}
    return (every - on_time) | set(redelivered)


@dataclass
class ReplyTally:
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    wrong: int = 0  # a reply that answers none of the citizen's questions

    def add(self, other: "ReplyTally") -> None:
        for name in ("lost", "duplicated", "out_of_order", "wrong"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def tally_replies(asked: list[str], late: set[str], replies: list[str], pool: dict[str, str]) -> ReplyTally:
    """One citizen's replies against their questions in the order sent (each question's reply in
    `pool` is its own): every question answered once, and those delivered on time in that order."""
    question_of = {pool[q]: q for q in asked}
    answered = [question_of.get(reply) for reply in replies]
    got = [q for q in answered if q is not None]
    firsts = list(dict.fromkeys(got))
    on_time = [q for q in firsts if q not in late]
    due = [q for q in dict.fromkeys(asked) if q not in late and q in firsts]
    # A question asked twice (the client sent it again) is due twice.
    lost = sum(max(0, asked.count(q) - got.count(q)) for q in set(asked))
    duplicated = sum(max(0, got.count(q) - asked.count(q)) for q in set(got))
    return ReplyTally(lost=lost, duplicated=duplicated,
                      out_of_order=sum(1 for a, b in zip(on_time, due) if a != b), wrong=answered.count(None))


async def redeliver(stack: Stack, deliveries: list[dict]) -> dict[tuple[str, str], float]:
    """Zalo's retry: every delivery that got no 200 (a receiver died mid-request, the database was
    away) is sent again, the same bytes and signature; returns when each was accepted (it comes
    after what was accepted meanwhile, as with Zalo)."""
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


def kind(name: str) -> str:
    """A process's kind from its name in the stack: 'worker-2' -> 'worker'."""
    base, _, number = name.rpartition("-")
    return base if number.isdigit() else name


class ProcessUsage:
    """CPU seconds and peak resident memory of the stack's processes by kind, read from /proc
    every `period` seconds from creation to `stop()`: a process killed meanwhile keeps what it had
    used at its last reading, and the one started in its place counts too."""

    def __init__(self, stack: Stack, period: float = 0.5) -> None:
        self._stack = stack
        self._period = period
        self._last: dict[int, tuple[str, float, float]] = {}  # pid -> (kind, CPU seconds, peak MB)
        self._read()
        self._base = {pid: cpu for pid, (_, cpu, _) in self._last.items()}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for name, process in list(self._stack.named.items()):
            cpu, peak = proc_usage(process.pid)
            if cpu == cpu:  # not NaN: the process was still there
                self._last[process.pid] = (kind(name), cpu, peak)

    def _loop(self) -> None:
        while not self._done.wait(self._period):
            self._read()

    def stop(self) -> dict[str, tuple[int, float, float]]:
        """kind -> (processes, CPU seconds since creation, largest peak resident MB)."""
        self._done.set()
        self._thread.join()
        self._read()
        kinds: dict[str, tuple[int, float, float]] = {}
        for pid, (name, cpu, peak) in self._last.items():
            count, total, largest = kinds.get(name, (0, 0.0, 0.0))
            kinds[name] = (count + 1, total + cpu - self._base.get(pid, 0.0), max(largest, peak))
        return kinds


# Citizens' sends in flight at once: 2,000 coroutines queued in httpcore's pool made the bench's
# own client CPU-bound (the pool scans its queue on every release) and its requests time out.
IN_FLIGHT = 64


async def say(sim: httpx.AsyncClient, user: str, text: str, gate: asyncio.Semaphore, tries: int = 10) -> int:
    """A citizen sends `text` (once); returns when, by the simulator's clock. Under a 10,000-message
    burst the simulator can drop a connection after recording the message: the conversation says
    whether it did, and only a message it does not hold is sent again (a citizen's texts differ)."""
    for attempt in range(tries):
        try:
            async with gate:
                response = await sim.post(f"/citizens/{user}/messages", json={"text": text})
            response.raise_for_status()
            return response.json()["timestamp_ms"]
        except httpx.HTTPError:
            # long enough for a request the simulator is still working on to be recorded first
            await asyncio.sleep(5.0 * (attempt + 1))
            try:
                async with gate:
                    held = (await sim.get(f"/citizens/{user}/conversation")).json()["messages"]
            except httpx.HTTPError:
                continue  # asked again on the next round, before sending again
            mine = [m for m in held if m["text"] == text and m.get("direction") == CITIZEN_TO_OA]
            if mine:
                return mine[0]["timestamp_ms"]
    raise RuntimeError(f"the simulator did not take {user}'s message after {tries} tries")


async def until_quiet(watcher: ReplyWatcher, users: list[str], messages: int, quiet: float) -> None:
    """Wait for every reply, or until none has come for `quiet` seconds: a queue of 10,000 turns
    takes longer than any fixed deadline, and a reply that comes late is late, not lost."""
    last_count, last_change = -1, time.monotonic()
    while True:
        count = sum(min(len(watcher.replies[u]), messages) for u in users)
        if count == len(users) * messages:
            return
        if count != last_count:
            last_count, last_change = count, time.monotonic()
        elif time.monotonic() - last_change > quiet:
            return
        await asyncio.sleep(1.0)


async def burst(stack: Stack, pool: dict[str, str], citizens: int, messages: int, spread: float,
                seed: int, fault: Callable[[], str] | None = None, reply_timeout: float = REPLY_TIMEOUT) -> dict[str, str]:
    """`fault`, when given, runs (in a thread) `spread / 2` seconds after the first citizen may start:
    mid-burst. What got no 200 is delivered again afterwards, as Zalo does; each citizen's replies
    are then compared with what they asked in the order they sent it (`tally_replies`)."""
    rng = random.Random(seed)
    # Idle connections dropped well before uvicorn's 5 s keep-alive ends: reusing one the server is
    # closing fails the request (httpx.ReadError), a flaw of the client, not of what is measured.
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200, keepalive_expiry=1.0)
    async with httpx.AsyncClient(base_url=f"{stack.sim_url}/zalo-sim/api", timeout=60, limits=limits) as sim:
        await sim.post("/reset")
        users = [(await sim.post("/citizens", json={})).json()["user_id"] for _ in range(citizens)]
        watcher = ReplyWatcher(sim)
        poller = asyncio.create_task(watcher.run())
        sent: dict[str, dict[str, int]] = defaultdict(dict)  # user -> question -> sent at (ms)
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def citizen(user: str) -> None:
            await asyncio.sleep(rng.uniform(0, spread))
            for question in rng.sample(sorted(pool), messages):
                sent[user][question] = await say(sim, user, question, gate)
                await asyncio.sleep(rng.uniform(0.3, 1.5))

        writers = asyncio.gather(*(citizen(u) for u in users))
        injected = ""
        if fault is not None:
            await asyncio.sleep(spread / 2)
            injected = await asyncio.to_thread(fault)
        await writers
        await asyncio.sleep(1.0)  # the simulator's last deliveries
        deliveries = (await sim.get("/webhook")).json()["deliveries"]
        redelivered = await redeliver(stack, deliveries)
        await until_quiet(watcher, users, messages, reply_timeout)
        await asyncio.sleep(3.0)  # late duplicates would show up here
        watcher.stop()
        await poller

    late = delivered_late(deliveries, redelivered)
    held = Counter((d["body"]["sender"]["id"], d["body"]["message"]["text"]) for d in deliveries
                   if d["event_name"] == "user_send_text" and not d.get("duplicate"))
    acks = [a["latency_ms"] for d in deliveries if d["event_name"] == "user_send_text" for a in d["attempts"]
            if a["status_code"] == 200]
    latencies, tally = [], ReplyTally()
    for user in users:
        replies = watcher.replies[user]
        # as the simulator holds them: a message the client had to send again may be there twice
        asked = [q for q in sorted(sent[user], key=sent[user].get) for _ in range(max(1, held.get((user, q), 1)))]
        one = tally_replies(asked, {q for q in asked if (user, q) in late}, [r["text"] for r in replies], pool)
        if (one.out_of_order or one.wrong) and tally.out_of_order + tally.wrong < 3:  # what differs, for whoever reads the run
            print(f"  {user}: replies {[r['text'][:40] for r in replies]} to questions asked as "
                  f"{[pool[q][:40] for q in asked]}", flush=True)
        tally.add(one)
        question_of = {pool[q]: q for q in asked}
        latencies += [r["timestamp_ms"] - sent[user][question_of[r["text"]]] for r in replies if r["text"] in question_of]
    total = citizens * messages
    first_send = min(ms for times in sent.values() for ms in times.values())
    last_reply = max((r["timestamp_ms"] for replies in watcher.replies.values() for r in replies), default=first_send)
    result = {
        "messages": str(total),
        "throughput (msg/s, first send to last reply)": f"{total / max(last_reply - first_send, 1) * 1000:.1f}",
        "webhook ack p50 / p95 (ms)": f"{pct(acks, .5):.0f} / {pct(acks, .95):.0f}",
        "message -> reply p50 / p95 (ms)": f"{pct(latencies, .5):.0f} / {pct(latencies, .95):.0f}",
        "lost": str(tally.lost),
        "duplicated": str(tally.duplicated),
        "out of order": str(tally.out_of_order),
        "wrong reply": str(tally.wrong),
        "sent twice by the bench client (each answered)": str(sum(n - 1 for n in held.values() if n > 1)),
    }
    if fault is not None:
        result["fault"] = injected
        result["delivered again (no 200 at first)"] = str(len(redelivered))
    return result


@dataclass
class Services:
    """Where the runs keep their data, and the throw-away servers a restart fault needs."""
    database_url: str
    redis_url: str
    postgres: ThrowAwayPostgres | None = None
    redis: ThrowAwayRedis | None = None

    @classmethod
    def for_faults(cls, faults: list[str], args, own: bool = False) -> Services:
        # The machine's shared servers are never restarted: a restart fault gets its own, and so
        # does every run then, so that the runs compare. `own`: both of its own in any case (a run
        # held to some cores starts them there).
        services = cls(args.database_url, args.redis_url)
        if own or "restart-postgres" in faults:
            services.postgres = ThrowAwayPostgres()
            services.database_url = make_url(services.postgres.url).set(database="ubnd_cluster_bench").render_as_string(False)
        if own or "restart-redis" in faults:
            services.redis = ThrowAwayRedis(Path(tempfile.mkdtemp(prefix="cluster-load-redis-")))
            services.redis_url = services.redis.url
        return services

    def describe(self) -> str:
        return (f"{'a throw-away PostgreSQL' if self.postgres else 'PostgreSQL ' + make_url(self.database_url).render_as_string()}"
                f" + {'a throw-away Redis' if self.redis else 'Redis ' + self.redis_url}")

    def stop(self) -> None:
        for server in (self.redis, self.postgres):
            if server is not None:
                server.stop()


def injector(fault: str, stack: Stack, services: Services, model: Path) -> Callable[[], str] | None:
    """`fault` as a call that injects it into the running stack and says what it did."""
    def inject() -> str:
        if fault in KILLS:
            stack.kill(KILLS[fault])
            time.sleep(RESTART_AFTER)
            stack.restart(KILLS[fault])
            return f"{KILLS[fault]} killed (-9), started again {RESTART_AFTER:.0f} s later"
        if fault == "restart-postgres":
            services.postgres.restart()
            return "PostgreSQL stopped (fast) and started again"
        if fault == "restart-redis":
            services.redis.restart()
            return "Redis killed and started again, empty"
        name, seconds = stack.publish_copy(model)
        return f"{name} live, loaded by the Rasa servers in " + ", ".join(f"{s:.1f}" for s in seconds.values()) + " s"

    return None if fault == "none" else inject


@contextmanager
def held_to_cores(count: int | None) -> Iterator[None]:
    """This process, and every process and thread it starts meanwhile, on the first `count` cores only."""
    if count is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, set(range(count)))
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def run_phase(model: Path, services: Services, scale: int, fault: str, args) -> tuple[dict[str, str], dict[str, str]]:
    workdir = Path(tempfile.mkdtemp(prefix=f"cluster-load-{scale}-"))
    stack = start_stack(model, workdir, fresh_database(services.database_url), separate_simulator=True, receivers=2,
                        workers=scale, rasa_servers=scale, redis_url=services.redis_url, worker_concurrency=args.concurrency)
    try:
        pool = asyncio.run(calibrate(stack, args.questions))
        if len(pool) < max(args.messages, 2):
            raise RuntimeError(f"only {len(pool)} questions have one steady reply through REST: see the logs in {workdir}")
        # Warm-up, not measured: every Rasa server's first turns load the graph and the caches.
        asyncio.run(burst(stack, pool, 4 * scale, 2, 1.0, seed=1))
        usage = ProcessUsage(stack)
        busy_before, pg_before = machine_busy(), postgres_cpu()
        started = time.perf_counter()
        result = asyncio.run(burst(stack, pool, args.citizens, args.messages, args.spread, seed=11,
                                   fault=injector(fault, stack, services, model), reply_timeout=args.reply_timeout))
        seconds = time.perf_counter() - started
        kinds = usage.stop()
        busy_after, pg_after = machine_busy(), postgres_cpu()
        used = {name: f"{cpu:.0f} s CPU ({cpu / seconds:.0%}), peak {peak:.0f} MB" + (f", {count} processes" if count > 1 else "")
                for name, (count, cpu, peak) in kinds.items()}
        result["questions (calibrated through REST)"] = str(len(pool))
        used["postgresql (all backends, any client)"] = f"{pg_after - pg_before:.0f} s CPU ({(pg_after - pg_before) / seconds:.0%})"
        busy, total = busy_after[0] - busy_before[0], busy_after[1] - busy_before[1]
        used["whole machine busy (every process, others' too)"] = f"{busy / total:.0%} of {os.cpu_count()} cores"
        return result, used
    finally:
        stack.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--spread", type=float, default=30.0, help="seconds over which citizens start writing")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_POSTGRES_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/ubnd_cluster_bench"))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379")
    parser.add_argument("--model")
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=16, help="citizens each worker works on at once")
    parser.add_argument("--scales", default="1,2", help="Rasa servers (= turn workers) per run")
    parser.add_argument("--faults", default="none", help=f"one run per scale and fault, injected mid-burst: {','.join(FAULTS)}")
    parser.add_argument("--cores", help="one per scale (e.g. 1,2): each run held to that many CPU cores, the bench client, "
                        "simulator, stack and a PostgreSQL and Redis of the run's own alike, to measure what a core adds")
    parser.add_argument("--reply-timeout", type=float, default=REPLY_TIMEOUT,
                        help="stop waiting for replies after this many seconds without a new one")
    args = parser.parse_args()
    model = model_without_training(args.model)
    scales = [int(s) for s in args.scales.split(",")]
    cores = [int(c) for c in args.cores.split(",")] if args.cores else [None] * len(scales)
    if len(cores) != len(scales) or any(c is not None and not 0 < c <= os.cpu_count() for c in cores):
        parser.error(f"--cores needs one count per scale, each from 1 to {os.cpu_count()}")
    faults = [f.strip() for f in args.faults.split(",") if f.strip()]
    if unknown := set(faults) - set(FAULTS):
        parser.error(f"unknown fault(s) {', '.join(sorted(unknown))}; known: {', '.join(FAULTS)}")
    try:
        services = Services.for_faults(faults, args) if not args.cores else None
    except Unavailable as exc:
        sys.exit(f"a restart fault needs servers of its own: {exc}")
    try:
        where = services.describe() if services else "a PostgreSQL and Redis of each run's own, on its cores"
        print(f"{args.citizens} citizens x {args.messages} messages starting within {args.spread:.0f} s; model {model.name}; "
              f"{where}; 2 receivers behind one address; {os.cpu_count()} CPU cores"
              + (f"; faults injected {args.spread / 2:.0f} s in: {', '.join(faults)}" if faults != ["none"] else "") + "\n")
        results, usages = {}, {}
        for fault in faults:
            for scale, count in zip(scales, cores):
                label = (f"{scale} Rasa + {scale} worker{'s' if scale > 1 else ''}"
                         + ("" if count is None else f" on {count} core{'s' if count > 1 else ''}")
                         + ("" if fault == "none" else f", {fault}"))
                with held_to_cores(count):
                    run_services = services or Services.for_faults(faults, args, own=True)
                    try:
                        results[label], usages[label] = run_phase(model, run_services, scale, fault, args)
                    finally:
                        if run_services is not services:
                            run_services.stop()
                print(f"{label}: {results[label]}\n  {usages[label]}", flush=True)
    finally:
        if services:
            services.stop()
    print()
    print_table(results)
    if len(scales) == 2:
        print()
        for n, fault in enumerate(faults):
            a, b = (float(results[label]["throughput (msg/s, first send to last reply)"])
                    for label in list(results)[2 * n:2 * n + 2])
            print(f"throughput ratio {scales[1]} : {scales[0]}{'' if fault == 'none' else f' with {fault}'} = {b / a:.2f}")
            if cores[0] is not None and cores[1] != cores[0]:
                print(f"per added core{'' if fault == 'none' else f' with {fault}'}: {(b - a) / (cores[1] - cores[0]):+.1f} msg/s "
                      f"({a / cores[0]:.1f} msg/s per core on {cores[0]}, {b / cores[1]:.1f} on {cores[1]})")
    print("\nCPU by kind of process (all of that kind; share of one core over the measured burst), the largest peak\n"
          "resident memory among them, and how many ran (a killed one and the one started in its place are two):")
    print_table(usages)
    return 0


if __name__ == "__main__":
    sys.exit(main())

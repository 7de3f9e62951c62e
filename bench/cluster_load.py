#!/usr/bin/env python
"""A province OA's burst through the real processes: receivers, turn workers, Rasa servers.

After a broadcast, --citizens citizens each write --messages messages within --spread seconds
(typed one after another, 0.3-1.5 s apart, not waiting for answers), through the simulator ->
signed webhooks -> 2 receivers behind one address -> turn workers -> Rasa -> the simulator's
OA API. Run once with 1 Rasa server and 1 worker, then with 2 and 2 (each on a fresh
PostgreSQL database, Redis lock store), and print throughput, ack and reply p50/p95, the ratio,
lost / duplicated / out-of-order replies (each reply checked against the answer Rasa's REST
channel gives for the same question), and CPU seconds and peak memory per process.

  python bench/cluster_load.py [--citizens 2000] [--messages 5] [--spread 30] [--model PATH]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.webhook_load import ReplyWatcher, model_without_training, pct, print_table, questions  # noqa: E402
from bot.stack import Stack, start_stack  # noqa: E402

REPLY_TIMEOUT = 600.0
TICKS = os.sysconf("SC_CLK_TCK")


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


async def calibrate(stack: Stack, count: int) -> list[tuple[str, str]]:
    """Catalogue questions with their reply through Rasa's REST channel: the same for two senders,
    in one message (under 2,000 characters) and unlike the others' replies. A reply on Zalo must be
    exactly the reply to the question asked, so a reply out of order shows."""
    pool = [q for q, _ in questions()]
    random.Random(5).shuffle(pool)
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
    return list(kept.items())


async def burst(stack: Stack, pool: list[tuple[str, str]], citizens: int, messages: int, spread: float,
                seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    # Idle connections dropped well before uvicorn's 5 s keep-alive ends: reusing one the server is
    # closing fails the request (httpx.ReadError), a flaw of the client, not of what is measured.
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200, keepalive_expiry=1.0)
    async with httpx.AsyncClient(base_url=f"{stack.sim_url}/zalo-sim/api", timeout=60, limits=limits) as sim:
        await sim.post("/reset")
        users = [(await sim.post("/citizens", json={})).json()["user_id"] for _ in range(citizens)]
        watcher = ReplyWatcher(sim)
        poller = asyncio.create_task(watcher.run())
        sent: dict[str, list[tuple[str, int]]] = defaultdict(list)

        async def citizen(user: str) -> None:
            await asyncio.sleep(rng.uniform(0, spread))
            for question, answer in rng.sample(pool, messages):
                message = (await sim.post(f"/citizens/{user}/messages", json={"text": question})).json()
                sent[user].append((answer, message["timestamp_ms"]))
                await asyncio.sleep(rng.uniform(0.3, 1.5))

        started = time.perf_counter()
        await asyncio.gather(*(citizen(u) for u in users))
        await asyncio.gather(*(watcher.wait(u, messages, REPLY_TIMEOUT) for u in users))
        elapsed = time.perf_counter() - started
        await asyncio.sleep(3.0)  # late duplicates would show up here
        watcher.stop()
        await poller
        deliveries = (await sim.get("/webhook")).json()["deliveries"]

    acks = [a["latency_ms"] for d in deliveries if d["event_name"] == "user_send_text" for a in d["attempts"]
            if a["status_code"] == 200]
    latencies, lost, duplicated, misordered = [], 0, 0, 0
    for user in users:
        replies, expected = watcher.replies[user], sent[user]
        lost += max(0, len(expected) - len(replies))
        duplicated += max(0, len(replies) - len(expected))
        for (answer, sent_ms), reply in zip(expected, replies):
            if reply["text"] != answer:
                misordered += 1
                if misordered <= 3:  # what differs, for whoever reads the run
                    asked = [a for a, _ in expected]
                    where = asked.index(reply["text"]) if reply["text"] in asked else None
                    print(f"  reply differs: {reply['text'][:90]!r} (reply to message {where} of {len(asked)}) "
                          f"where {answer[:60]!r} was due", flush=True)
            latencies.append(reply["timestamp_ms"] - sent_ms)
    total = citizens * messages
    return {
        "messages": str(total),
        "throughput (msg/s, first send to last reply)": f"{total / elapsed:.1f}",
        "webhook ack p50 / p95 (ms)": f"{pct(acks, .5):.0f} / {pct(acks, .95):.0f}",
        "message -> reply p50 / p95 (ms)": f"{pct(latencies, .5):.0f} / {pct(latencies, .95):.0f}",
        "lost": str(lost),
        "duplicated": str(duplicated),
        "out of order or wrong": str(misordered),
    }


def run_phase(model: Path, database_url: str, redis_url: str, scale: int, args) -> tuple[dict[str, str], dict[str, str]]:
    workdir = Path(tempfile.mkdtemp(prefix=f"cluster-load-{scale}-"))
    stack = start_stack(model, workdir, fresh_database(database_url), separate_simulator=True, receivers=2,
                        workers=scale, rasa_servers=scale, redis_url=redis_url, worker_concurrency=args.concurrency)
    try:
        pool = asyncio.run(calibrate(stack, args.questions))
        # Warm-up, not measured: every Rasa server's first turns load the graph and the caches.
        asyncio.run(burst(stack, pool, 4 * scale, 2, 1.0, seed=1))
        before = {name: proc_usage(p.pid) for name, p in stack.named.items()}
        busy_before, pg_before = machine_busy(), postgres_cpu()
        started = time.perf_counter()
        result = asyncio.run(burst(stack, pool, args.citizens, args.messages, args.spread, seed=11))
        seconds = time.perf_counter() - started
        after = {name: proc_usage(p.pid) for name, p in stack.named.items()}
        busy_after, pg_after = machine_busy(), postgres_cpu()
        usage = {name: f"{after[name][0] - before[name][0]:.0f} s CPU ({(after[name][0] - before[name][0]) / seconds:.0%}), "
                       f"{after[name][1]:.0f} MB" for name in stack.named}
        result["questions (calibrated through REST)"] = str(len(pool))
        usage["postgresql (all backends, any client)"] = f"{pg_after - pg_before:.0f} s CPU ({(pg_after - pg_before) / seconds:.0%})"
        busy, total = busy_after[0] - busy_before[0], busy_after[1] - busy_before[1]
        usage["whole machine busy (every process, others' too)"] = f"{busy / total:.0%} of {os.cpu_count()} cores"
        return result, usage
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
    args = parser.parse_args()
    model = model_without_training(args.model)
    scales = [int(s) for s in args.scales.split(",")]
    print(f"{args.citizens} citizens x {args.messages} messages starting within {args.spread:.0f} s; model {model.name}; "
          f"PostgreSQL + Redis; 2 receivers behind one address; {os.cpu_count()} CPU cores\n")
    results, usages = {}, {}
    for scale in scales:
        label = f"{scale} Rasa + {scale} worker{'s' if scale > 1 else ''}"
        results[label], usages[label] = run_phase(model, args.database_url, args.redis_url, scale, args)
        print(f"{label}: {results[label]}\n  {usages[label]}", flush=True)
    print()
    print_table(results)
    if len(scales) == 2:
        a, b = (float(results[label]["throughput (msg/s, first send to last reply)"]) for label in results)
        print(f"\nthroughput ratio {scales[1]} : {scales[0]} = {b / a:.2f}")
    print("\nCPU (share of one core over the measured burst) and peak memory per process:")
    print_table(usages)
    return 0


if __name__ == "__main__":
    sys.exit(main())

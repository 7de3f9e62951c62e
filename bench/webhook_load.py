#!/usr/bin/env python
"""Load benchmark of the Zalo channel through the real processes on this machine.

N simulated citizens at once, M messages each (a citizen waits for the reply, reads for a
random time averaging --think seconds, then asks the next question; citizens start at random
within the first --think seconds, as people do, not in lockstep), through simulator -> signed webhook -> the web
process's receiver route (stored, 200) -> the turn worker -> Rasa with the trained bot -> Zalo API
-> simulator: the `make run` shape on one machine. Then the same with duplicate deliveries and 5xx on
sends, and the same questions through Rasa's own REST channel (our overhead over plain Rasa).

  python bench/webhook_load.py [--citizens 50] [--messages 20] [--think 0.5]
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.faq.knowledge_base import load_knowledge_base  # noqa: E402
from bot.stack import start_stack  # noqa: E402

REPLY_TIMEOUT = 60.0


def model_without_training(given: str | None) -> Path:
    """The model to serve: --model, else the checkout's from models/ or the cache; never trained here."""
    if given:
        return Path(given)
    from bot import paths
    from bot.model import cache_dir, fingerprint, model_path

    target = model_path(fingerprint(paths.ROOT), paths.MODELS)
    for candidate in (target, cache_dir() / target.name):
        if candidate.exists():
            return candidate
    sys.exit(f"no trained model for this checkout's data ({target.name}); benchmarks do not train: "
             "give --model PATH (e.g. one under ~/.cache/ubnd-zalo-faq/models)")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * (len(values) - 1)))] if values else float("nan")


def answered_with(reply: str, answer: str) -> bool:
    """The reply is the FAQ's answer: followed by "Câu trả lời có giúp được anh/chị không?" when
    both fit in one message, or the first part of an answer split at Zalo's 2,000 characters."""
    return reply.startswith(answer) or answer.startswith(reply)


def reading_time(rng: random.Random, think: float) -> float:
    """A citizen's pause before the next message: exponential around `think` (Poisson arrivals)."""
    return rng.expovariate(1 / think) if think > 0 else 0.0


def questions() -> list[tuple[str, str]]:
    """(question, expected answer): catalogue questions, whose decision is a plain answer."""
    kb = load_knowledge_base()
    return [(faq.question, kb.render_answer(faq.id)) for faq in kb.faqs.values()]


class ReplyWatcher:
    """Polls the simulator's record of OA sends once for everyone; wakes citizens on new replies."""

    def __init__(self, sim: httpx.AsyncClient, since: int = 0) -> None:
        self._sim = sim
        self.replies: dict[str, list[dict]] = defaultdict(list)
        self._seen = since
        self._events: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._stop = False

    async def run(self) -> None:
        while not self._stop:
            # Only what is new: the simulator is Zalo here, its event loop must stay idle enough
            # to measure acknowledgements and replies, not serialise every reply again.
            try:
                page = (await self._sim.get("/oa-messages", params={"since": self._seen})).json()
            except httpx.TransportError:  # an overloaded simulator dropped the connection: ask again
                await asyncio.sleep(0.5)
                continue
            for message in page["messages"]:
                # Replies only: not the welcome, nor the privacy notice sent once after a first reply.
                if not message.get("admin_id") and not message["text"].startswith(("Chào mừng", "Về dữ liệu cá nhân")):
                    self.replies[message["user_id"]].append(message)
                    self._events[message["user_id"]].set()
            self._seen = page["total"]
            await asyncio.sleep(0.1)

    async def wait(self, user: str, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.replies[user]) < count:
            event = self._events[user]
            event.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except asyncio.TimeoutError:
                return False
        return True

    def stop(self) -> None:
        self._stop = True


async def zalo_run(web_url: str, citizens: int, messages: int, think: float, faults: dict | None) -> dict[str, str]:
    pool = questions()
    async with httpx.AsyncClient(base_url=f"{web_url}/zalo-sim/api", timeout=30) as sim:
        await sim.post("/reset")
        if faults:
            await sim.post("/switches/random-faults", json=faults)
        users = [(await sim.post("/citizens", json={})).json()["user_id"] for _ in range(citizens)]
        watcher = ReplyWatcher(sim)
        poller = asyncio.create_task(watcher.run())
        sent: dict[str, list[tuple[str, int]]] = defaultdict(list)  # user -> (expected, sent_ms)
        rng = random.Random(11)

        async def citizen(user: str) -> None:
            await asyncio.sleep(rng.uniform(0, think))
            for i in range(messages):
                question, expected = rng.choice(pool)
                message = (await sim.post(f"/citizens/{user}/messages", json={"text": question})).json()
                sent[user].append((expected, message["timestamp_ms"]))
                if not await watcher.wait(user, i + 1, REPLY_TIMEOUT):
                    return
                await asyncio.sleep(reading_time(rng, think))

        started = time.perf_counter()
        await asyncio.gather(*(citizen(u) for u in users))
        elapsed = time.perf_counter() - started
        await asyncio.sleep(2.0)  # late duplicates would show up here
        watcher.stop()
        await poller
        deliveries = (await sim.get("/webhook")).json()["deliveries"]
        await sim.post("/switches/random-faults", json={})

    acks = [a["latency_ms"] for d in deliveries if d["event_name"] == "user_send_text" for a in d["attempts"] if a["status_code"] == 200]
    latencies, lost, duplicated, misordered = [], 0, 0, 0
    for user in users:
        replies = watcher.replies[user]
        expected = sent[user]
        lost += max(0, len(expected) - len(replies))
        duplicated += max(0, len(replies) - len(expected))
        for (answer, sent_ms), reply in zip(expected, replies):
            misordered += not answered_with(reply["text"], answer)
            latencies.append(reply["timestamp_ms"] - sent_ms)
    total = sum(len(v) for v in sent.values())
    return {
        "messages sent": str(total),
        "webhook deliveries (incl. duplicates)": str(sum(1 for d in deliveries if d["event_name"] == "user_send_text")),
        "webhook ack p50 / p95 (ms)": f"{pct(acks, .5):.0f} / {pct(acks, .95):.0f}",
        "message -> reply p50 / p95 (ms)": f"{pct(latencies, .5):.0f} / {pct(latencies, .95):.0f}",
        "lost": str(lost),
        "duplicated": str(duplicated),
        "wrong or out of order": str(misordered),
        "throughput (msg/s)": f"{total / elapsed:.1f}",
    }


async def rest_run(rasa_url: str, citizens: int, messages: int, think: float) -> dict[str, str]:
    pool = questions()
    latencies, wrong, failed = [], 0, 0
    rng = random.Random(11)
    async with httpx.AsyncClient(timeout=60) as http:
        async def citizen(n: int) -> None:
            nonlocal wrong, failed
            await asyncio.sleep(rng.uniform(0, think))
            for _ in range(messages):
                question, expected = rng.choice(pool)
                started = time.perf_counter()
                try:
                    response = await http.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": f"rest-{n}", "message": question})
                    texts = "\n\n".join(m.get("text", "") for m in response.json())
                except (httpx.HTTPError, ValueError):
                    failed += 1
                    continue
                latencies.append((time.perf_counter() - started) * 1000)
                wrong += not answered_with(texts, expected)
                await asyncio.sleep(reading_time(rng, think))

        started = time.perf_counter()
        await asyncio.gather(*(citizen(n) for n in range(citizens)))
        elapsed = time.perf_counter() - started
    total = citizens * messages
    return {
        "messages sent": str(total),
        "message -> reply p50 / p95 (ms)": f"{pct(latencies, .5):.0f} / {pct(latencies, .95):.0f}",
        "lost": str(failed),
        "wrong or out of order": str(wrong),
        "throughput (msg/s)": f"{total / elapsed:.1f}",
    }


def print_table(columns: dict[str, dict[str, str]]) -> None:
    keys = list(dict.fromkeys(k for c in columns.values() for k in c))
    names = list(columns)
    print("| metric | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for k in keys:
        print(f"| {k} | " + " | ".join(columns[n].get(k, "-") for n in names) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--think", type=float, default=0.5)
    parser.add_argument("--database-url")
    parser.add_argument("--model")
    args = parser.parse_args()
    model = model_without_training(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_stack(model, Path(tmp), args.database_url, separate_simulator=True)
        try:
            print(f"{args.citizens} citizens x {args.messages} messages, think time {args.think} s, "
                  f"database {stack.database_url.split(':')[0]}\n")
            # Warm-up, not shown: the first turns after start load the model's graph and the caches.
            asyncio.run(zalo_run(stack.sim_url, min(args.citizens, 5), 3, 0.2, None))
            columns = {
                "Zalo channel": asyncio.run(zalo_run(stack.sim_url, args.citizens, args.messages, args.think, None)),
                "Zalo, 10% duplicates + 5% send 5xx": asyncio.run(zalo_run(
                    stack.sim_url, args.citizens, args.messages, args.think,
                    {"send_failure_rate": 0.05, "http_status": 503, "duplicate_rate": 0.10, "seed": 7})),
                "Rasa REST channel": asyncio.run(rest_run(stack.rasa_url, args.citizens, args.messages, args.think)),
            }
            print_table(columns)
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

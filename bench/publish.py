#!/usr/bin/env python
"""Publishing benchmark on the real processes (bot.stack, simulator apart as Zalo would be).

  1. webhook -> reply latency of a steady stream of citizens, idle (--seconds, before and again
     after the publish);
  2. an editor adds question variants (the training data changes) and publishes: time from
     "publish" to the new model live in Rasa, with the same stream of citizens running beside
     the training, the gate and the swap, and its webhook -> reply latency meanwhile;
  3. import of a 2,000-FAQ spreadsheet (bench/import_kb.py), all or nothing (--skip-import).

  python bench/publish.py [--citizens 5] [--think 2] [--seconds 60] [--database-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.webhook_load import REPLY_TIMEOUT, ReplyWatcher, pct, print_table, questions, reading_time  # noqa: E402
from bot.faq import publish  # noqa: E402
from bot.model import ensure_model  # noqa: E402
from bot.stack import start_stack  # noqa: E402

NEW_VARIANTS = {
    "gio_lam_viec": ["chiều thứ bảy ủy ban xã có ai trực không", "trưa nay mấy giờ xã mở cửa lại ạ"],
    "tam_tru": ["em thuê trọ ở xã mình thì báo tạm trú kiểu gì", "ở nhờ nhà bà con cũng phải khai báo tạm trú hả"],
}

WARM_UP_SECONDS = 15


async def stream(sim_url: str, citizens: int, think: float, until: asyncio.Event) -> list[tuple[float, float]]:
    """Citizens ask, wait for the answer, read, ask again; returns (sent at, in epoch ms; reply
    latency in ms) per answered message (the simulator's own timestamps: sent by the citizen ->
    the OA's reply received)."""
    pool = [q for q, _ in questions()]
    latencies: list[tuple[float, float]] = []
    async with httpx.AsyncClient(base_url=f"{sim_url}/zalo-sim/api", timeout=60) as sim:
        users = [(await sim.post("/citizens", json={})).json()["user_id"] for _ in range(citizens)]
        watcher = ReplyWatcher(sim, since=(await sim.get("/oa-messages", params={"since": 0})).json()["total"])
        poller = asyncio.create_task(watcher.run())

        async def citizen(n: int, user: str) -> None:
            rng = random.Random(n)
            await asyncio.sleep(rng.uniform(0, think))
            i = 0
            while not until.is_set():
                sent = (await sim.post(f"/citizens/{user}/messages", json={"text": pool[(n * 7 + i) % len(pool)]})).json()
                i += 1
                if await watcher.wait(user, i, REPLY_TIMEOUT):
                    latencies.append((sent["timestamp_ms"], watcher.replies[user][i - 1]["timestamp_ms"] - sent["timestamp_ms"]))
                await asyncio.sleep(reading_time(rng, think))

        await asyncio.gather(*(citizen(n, u) for n, u in enumerate(users)))
        watcher.stop()
        await poller
    return latencies


async def chat_for(stack, citizens: int, think: float, seconds: float) -> list[float]:
    """The reply latencies of `seconds` of citizens chatting."""
    done = asyncio.Event()
    task = asyncio.create_task(stream(stack.sim_url, citizens, think, done))
    await asyncio.sleep(seconds)
    done.set()
    return [latency for _, latency in await task]


async def run(stack, citizens: int, think: float, seconds: float, workdir: Path) -> dict[str, str]:
    # Warm-up, not measured: the first turns after start load the model's graph and the caches.
    await chat_for(stack, citizens, think, WARM_UP_SECONDS)
    idle_before = await chat_for(stack, citizens, think, seconds)

    engine = create_engine(stack.database_url, future=True)
    os.environ["BOT_MODEL_CACHE"] = str(workdir / "cache")  # a cached model would skip the training measured here
    publisher = publish.Publisher(engine, stack.rasa_url, stack.rasa_token, releases_dir=workdir / "releases",
                                  models_dir=workdir / "models")
    for faq_id, variants in NEW_VARIANTS.items():
        publisher.store.add_variants(faq_id, variants, "bench")
    busy = asyncio.Event()
    busy_task = asyncio.create_task(stream(stack.sim_url, citizens, think, busy))
    started, started_ms = time.monotonic(), time.time() * 1000
    release = await publisher.build(publisher.request("bench").release_id)
    to_live = time.monotonic() - started
    busy.set()
    sent_during = await busy_task
    # The machine's own speed drifts over minutes (other guests on the host): the idle baseline is
    # measured on both sides of the publish.
    idle_after = await chat_for(stack, citizens, think, seconds)
    idle = idle_before + idle_after
    during = [latency for _, latency in sent_during]
    swap_from = started_ms + 1000 * float(release.report.get("seconds_to_gate", to_live))
    training = [latency for sent, latency in sent_during if sent < swap_from]
    swapping = [latency for sent, latency in sent_during if sent >= swap_from]
    ratio = pct(during, .95) / pct(idle, .95) if idle else float("nan")
    return {
        "publish -> live (s)": f"{to_live:.0f} ({release.status}: {release.progress})",
        "of which to the gate's verdict (s)": str(release.report.get("seconds_to_gate", "-")),
        "gate: live vs candidate correct / wrong": (
            f"{release.report['live']['correct']}/{release.report['live']['total']} vs "
            f"{release.report['candidate']['correct']}/{release.report['candidate']['total']}; "
            f"{release.report['live']['wrong']} vs {release.report['candidate']['wrong']}" if release.report.get("live") else "-"),
        "webhook -> reply idle p50 / p95 (ms)": f"{pct(idle, .5):.0f} / {pct(idle, .95):.0f} (n={len(idle)})",
        "  idle before / after the publish p95 (ms)": f"{pct(idle_before, .95):.0f} / {pct(idle_after, .95):.0f}",
        "webhook -> reply while publishing p50 / p95 (ms)": f"{pct(during, .5):.0f} / {pct(during, .95):.0f} (n={len(during)})",
        "  while training and gating p50 / p95 (ms)": f"{pct(training, .5):.0f} / {pct(training, .95):.0f} (n={len(training)})",
        "  while the model is swapped p50 / p95 / max (ms)": (
            f"{pct(swapping, .5):.0f} / {pct(swapping, .95):.0f} / {max(swapping, default=float('nan')):.0f} (n={len(swapping)})"),
        "p95 while publishing / idle": f"{ratio:.2f}x",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=5)
    parser.add_argument("--think", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database-url")
    parser.add_argument("--skip-import", action="store_true")
    args = parser.parse_args()
    model = ensure_model()
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_stack(model, Path(tmp) / "stack", args.database_url, separate_simulator=True,
                            publisher=False)  # the bench builds its release itself
        try:
            figures = asyncio.run(run(stack, args.citizens, args.think, args.seconds, Path(tmp)))
        finally:
            stack.stop()
    print(f"{args.citizens} citizens, think {args.think} s, database {(args.database_url or 'sqlite').split(':')[0]}\n")
    print_table({"value": figures})
    if not args.skip_import:
        print("\nImport of a 2,000-FAQ spreadsheet (bench/import_kb.py):\n", flush=True)
        return subprocess.run([sys.executable, str(ROOT / "bench" / "import_kb.py")], cwd=ROOT).returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())

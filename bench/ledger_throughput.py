"""How many events a second the inbound ledger hands to turn workers, and what it costs per event.

    .venv/bin/python bench/ledger_throughput.py [--database-url URL] [--citizens 400] [--messages 5] [--workers 2]

Records citizens x messages events (interleaved, as after a broadcast), then runs `--workers`
LedgerWorker processes with a handler that does nothing, and prints events/s, the database
statements per event and how many were handled twice or out of order (both must be 0). The
handler costs nothing here: a real turn (Rasa NLU, ~30-100 ms) is what bounds a worker, so
this is the ledger's ceiling, not the bot's.
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, select

from bot.db import get_engine
from bot.inbound_ledger import InboundLedger, LedgerWorker, inbound_event, inbound_lease
from bot.migrate import upgrade


def _work(url: str, name: str, log: str, seconds: float) -> None:
    handled: list[str] = []

    async def handle(key: str, body: str) -> None:
        handled.append(key)

    async def main() -> None:
        engine = get_engine(url)
        ledger = InboundLedger(engine)
        worker = LedgerWorker(ledger, handle, name=name, concurrency=8, idle_seconds=0.05)
        task = asyncio.create_task(worker.run())
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and await asyncio.to_thread(ledger.pending):
            await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
    Path(log).write_text("\n".join(handled), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--citizens", type=int, default=400)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.execute(delete(inbound_lease))
        conn.execute(delete(inbound_event))
    ledger = InboundLedger(engine)
    started = time.monotonic()
    for m in range(args.messages):
        for c in range(args.citizens):
            ledger.record("zalo", f"{c}-{m}", f"citizen-{c}", "{}")
    recorded = time.monotonic() - started
    total = args.citizens * args.messages
    started = time.monotonic()
    spawn = multiprocessing.get_context("spawn")  # not fork: the parent's pooled connections stay its own
    processes = [spawn.Process(target=_work, args=(url, f"w{n}", str(workdir / f"w{n}.log"), 600))
                 for n in range(args.workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    elapsed = time.monotonic() - started
    keys = [k for n in range(args.workers) for k in (workdir / f"w{n}.log").read_text().split("\n") if k]
    with engine.connect() as conn:
        order = conn.execute(select(inbound_event.c.event_key, inbound_event.c.handled_at).order_by(inbound_event.c.id)).all()
    per_worker = {}
    for n in range(args.workers):
        for k in (workdir / f"w{n}.log").read_text().split("\n"):
            if k:
                per_worker.setdefault(k.split("-")[0], []).append(int(k.split("-")[1]))
    out_of_order = sum(1 for seq in per_worker.values() if seq != sorted(seq))
    print(f"database {engine.dialect.name}, {args.workers} worker processes, {args.citizens} citizens x {args.messages}")
    print(f"  recorded {total} events in {recorded:.1f} s ({total / recorded:.0f}/s, one insert each)")
    print(f"  handled  {len(set(keys))} of {total} in {elapsed:.1f} s: {total / elapsed:.0f} events/s")
    print(f"  handled twice {len(keys) - len(set(keys))}, out of order {out_of_order}, "
          f"left {sum(1 for r in order if r.handled_at is None)}")


if __name__ == "__main__":
    main()

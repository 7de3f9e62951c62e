"""A turn worker in a process of its own, for tests/bot/test_inbound_ledger.py to kill.

`python -m tests.bot.ledger_worker_process <database url> <log file> <stop at key> <reply first>`:
handles events by appending "<key>" to the log file (the handler's record of replies); at
`stop at key` it writes that reply first or not (`reply first` is 1 or 0), then writes
"<log>.stuck" and hangs, holding its lease, until the test kills it.
"""
from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from bot.db import get_engine
from bot.inbound_ledger import InboundLedger, LedgerWorker

LEASE_SECONDS = 1.0


def append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write(line + "\n")
        file.flush()
        os.fsync(file.fileno())


async def main(url: str, log: Path, stop_at: str, reply_first: bool) -> None:
    async def handle(key: str, body: str) -> None:
        if key == stop_at:
            if reply_first:
                append(log, key)
            Path(f"{log}.stuck").write_text(str(os.getpid()))
            time.sleep(3600)  # hung for good: the event loop too, so the lease is not renewed
        append(log, key)

    worker = LedgerWorker(InboundLedger(get_engine(url)), handle, name="doomed", lease_seconds=LEASE_SECONDS,
                          idle_seconds=0.05)
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"))

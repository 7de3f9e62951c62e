"""A turn worker: `python -m processes.worker [--wake-port 5061] [--concurrency 16]`.

Runs the inbound ledger's worker loop (bot/inbound_ledger.py) with the Zalo dispatcher as the
handler: it claims citizens with waiting events (a lease per citizen in the database), hands
each text to a Rasa server (RASA_URLS, comma-separated, or RASA_URL) and sends the replies.
Several run at once on one database; a killed worker's citizens pass to another when its leases
run out (30 s). Woken at once by the receivers: PostgreSQL's NOTIFY, or on one machine a
datagram on --wake-port (127.0.0.1); besides, it looks every --idle seconds.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket

from bot.db import get_engine
from bot.inbound_wake import listen
from connectors.zalo.gateway import ZaloGateway
from connectors.zalo.settings import ZaloSettings

logger = logging.getLogger(__name__)


async def run(name: str, concurrency: int, wake_port: int | None, idle: float) -> None:
    engine = get_engine()
    gateway = ZaloGateway(ZaloSettings.from_file(), engine)
    await gateway.start()
    worker = gateway.dispatcher.worker(name=name, concurrency=concurrency, idle_seconds=idle)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(worker.run()), asyncio.create_task(listen(engine, worker.wake, wake_port))]
    logger.info("turn worker %s started", name)
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()  # the worker releases the citizens it holds on the way out
        await asyncio.gather(*tasks, return_exceptions=True)
        await gateway.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="A turn worker: citizens' stored events, in order, through Rasa.")
    parser.add_argument("--name", default=f"{socket.gethostname()}:{os.getpid()}")
    parser.add_argument("--concurrency", type=int, default=16, help="citizens worked on at once")
    parser.add_argument("--wake-port", type=int, default=int(os.environ.get("WORKER_WAKE_PORT", "0")) or None)
    parser.add_argument("--idle", type=float, default=2.0, help="seconds between looks when nothing wakes it")
    args = parser.parse_args()
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request drowns the worker's own
    asyncio.run(run(args.name[-64:], args.concurrency, args.wake_port, args.idle))


if __name__ == "__main__":
    main()

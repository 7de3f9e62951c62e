"""The publish worker: `python -m processes.publisher`.

Takes the releases editors queue with "Xuất bản" (the web process only queues them and shows
their state) one at a time: generate the training data, train, gate against the live model, roll
out through the model server (bot/faq/model_server.py) and put the release live
(bot/faq/publish.py). Several may run on one database: a queued release is claimed by one
conditional UPDATE, and a publisher killed mid-training (its `rasa train` dies with it) loses its
claim when it stops renewing it (CLAIM_SECONDS, PUBLISH_CLAIM_SECONDS), after which another
trains the release again; one stopped (SIGTERM) ends its training and lets the claim go at once.
It listens on nothing; run it on the host that has the model server's `models/` and RELEASES_DIR.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from pathlib import Path

from bot import paths
from bot.config import rasa_url, releases_dir, yield_cpu
from bot.db import get_engine
from bot.faq.publish import Publisher

logger = logging.getLogger(__name__)


async def run(models_dir: Path = paths.MODELS) -> None:
    publisher = Publisher(get_engine(), rasa_url(), os.environ.get("RASA_TOKEN") or None, releases_dir(),
                          models_dir=models_dir)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    worker = asyncio.create_task(publisher.run_forever())
    logger.info("publisher started")
    try:
        await asyncio.wait({worker, asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        # A training cut short here ends, and its release is free at once for another publisher
        # (or this one, restarted) to train again.
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="The publish worker: queued releases trained, gated and put live.")
    parser.add_argument("--models-dir", type=Path, default=paths.MODELS,
                        help="where trained models are written (default: models/ of the checkout, as the model server reads)")
    args = parser.parse_args()
    yield_cpu("PUBLISHER_NICENESS", 10)  # training (its `rasa train` child inherits it) after live turns
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(run(args.models_dir))


if __name__ == "__main__":
    main()

"""The web process: `python -m processes.web` (or `uvicorn processes.web:app --ws none`).

The staff site (bot.web: inbox, admin, curation, reports, the simulator while no real Zalo App is
configured) plus the Zalo channel's sending side (connectors/zalo/gateway.py: the outbox through
which officers' inbox replies reach citizens, the core's `CitizenOutbox` port; the follower
count). On one machine it also hosts the webhook receiver's route (the same one
processes/receiver.py serves; INBOUND_WAKE names the turn workers' wake ports); the turns
themselves run in turn workers (processes/worker.py). ZALO_GATEWAY=off serves only the site and
the simulator (benchmarks run the simulator apart, as Zalo is another machine).
"""
from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.db import get_engine
from bot.web import app as site
from connectors.zalo import webhook
from connectors.zalo.gateway import ZaloGateway
from connectors.zalo.outbox import ZaloOutbox
from connectors.zalo.settings import ZaloSettings
from processes.receiver import build_receiver


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    if os.environ.get("ZALO_GATEWAY") == "off":
        yield
        return
    gateway = ZaloGateway(ZaloSettings.from_file(), get_engine())
    wire_zalo(app, gateway)
    app.state.zalo_receiver = build_receiver()
    await gateway.start()
    try:
        async with site.background_work(app, gateway.follower_count):
            yield
    finally:
        await gateway.stop()


def wire_zalo(app: FastAPI, gateway: ZaloGateway) -> None:
    """What the site and the webhook route reach the Zalo channel by."""
    app.state.zalo = gateway
    app.state.zalo_receiver = gateway.dispatcher.receiver
    app.state.outboxes = {ZaloOutbox.channel: ZaloOutbox(gateway.client, gateway.store)}
    app.state.erase_in_order = gateway.dispatcher.erase  # under the citizen's ledger lease


def create_app() -> FastAPI:
    app = site.create_app(lifespan=lifespan)
    app.include_router(webhook.router)
    return app


app = create_app()


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="The web process: staff pages, Zalo webhook, simulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run("processes.web:app", host=args.host, port=args.port, ws="none")


if __name__ == "__main__":
    main()

"""A webhook receiver: `python -m processes.receiver [--port 8010]`.

Zalo's webhook only: verify, store in the inbound ledger, 200 at once (connectors/zalo/receiver.py).
It holds nothing in memory that another receiver needs, so several run behind one address
(nginx in production, docs/deployment.md); turn workers (processes/worker.py) do the rest.
INBOUND_WAKE names the workers' wake ports on this machine (SQLite); on PostgreSQL the insert's
own NOTIFY wakes them.
"""
from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from bot.db import get_engine
from bot.inbound_wake import WakeSender, wake_addresses
from connectors.zalo import webhook
from connectors.zalo.receiver import ZaloReceiver
from connectors.zalo.settings import ZaloSettings


def build_receiver() -> ZaloReceiver:
    settings, engine = ZaloSettings.from_file(), get_engine()
    return ZaloReceiver(settings.app_id, settings.oa_secret_key, engine,
                        WakeSender(engine, wake_addresses(os.environ.get("INBOUND_WAKE"))))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.zalo_receiver = build_receiver()
    yield


def create_app() -> FastAPI:
    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(webhook.router)

    @app.get("/health")
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return app


app = create_app()


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="A Zalo webhook receiver: verify, store, acknowledge.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    args = parser.parse_args()
    uvicorn.run("processes.receiver:app", host=args.host, port=args.port, ws="none", log_level="warning")


if __name__ == "__main__":
    main()

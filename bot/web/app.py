"""The web app: `uvicorn bot.web.app:app --port 8000 --ws none`. It only wires routers together.

It receives Zalo's webhooks (connectors/zalo/gateway.py), serves the officers' inbox (/inbox/,
/quan-tri/, /nhat-ky, log-in at /dang-nhap) and, while no real Zalo App is configured
(ZALO_APP_ID unset), serves the Zalo simulator under /zalo-sim/, so a production deployment
cannot expose the simulator by accident.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from bot.config import rasa_url, releases_dir
from bot.db import get_engine
from bot.faq.publish import Publisher
from bot.privacy import purge_forever
from bot.reports.schedule import reports_forever
from bot.web import auth, edge
from bot.web.routers import admin, curation, health, inbox, kb_files, privacy, reports, zalo_webhook
from bot.zalo_sim.routers import chat, control, media, oauth, openapi, page
from connectors.zalo.gateway import ZaloGateway
from connectors.zalo.settings import ZaloSettings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # One process owns the gateway: per-citizen ordering lives in its memory. ZALO_GATEWAY=off
    # serves only the simulator (benchmarks run it apart, as Zalo is another machine).
    if os.environ.get("ZALO_GATEWAY") == "off":
        yield
        return
    gateway = ZaloGateway(ZaloSettings.from_file(), get_engine())
    app.state.zalo = gateway
    await gateway.start()
    # The publisher's worker: one training at a time, beside the site and the bot.
    publisher = Publisher(get_engine(), rasa_url(), os.environ.get("RASA_TOKEN") or None, releases_dir())
    app.state.publisher = publisher
    worker = asyncio.create_task(publisher.run_forever())
    # Texts and names past the retention period are purged here, as `python -m bot purge` does.
    purger = asyncio.create_task(purge_forever(get_engine()))
    # The follower count once a day (Zalo getoa) and last month's report once the month is over.
    reporter = asyncio.create_task(reports_forever(get_engine(), lambda: gateway.client.follower_count()))
    try:
        yield
    finally:
        for task in (worker, purger, reporter):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await gateway.stop()


def create_app() -> FastAPI:
    # No /docs, /redoc or /openapi.json: the routes are pages and Zalo's webhook, not a public API.
    app = FastAPI(title="Trợ lý Zalo OA của UBND", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    edge.install(app)
    app.include_router(health.router)
    app.include_router(zalo_webhook.router)
    app.include_router(auth.router)
    app.include_router(inbox.router)
    app.include_router(admin.router)
    app.include_router(privacy.router)
    app.include_router(curation.router)
    app.include_router(kb_files.router)
    app.include_router(reports.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).resolve().parent / "static"), name="static")
    app.add_api_route("/", lambda: RedirectResponse("/inbox/"), include_in_schema=False)
    if not os.environ.get("ZALO_APP_ID"):
        for area in (openapi, oauth, chat, control, media, page):
            app.include_router(area.router)
    return app


app = create_app()

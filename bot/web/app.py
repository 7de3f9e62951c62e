"""The staff site and the simulator as a FastAPI app; it only wires routers together.

The process that serves it (processes/web.py) adds the Zalo channel's webhook and outbox: nothing
under `bot/` imports a channel. The site serves the officers' inbox (/inbox/, /quan-tri/,
/nhat-ky, log-in at /dang-nhap) and, while no real Zalo App is configured (ZALO_APP_ID unset),
the Zalo simulator under /zalo-sim/, so a production deployment cannot expose it by accident.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from bot.config import rasa_url, releases_dir
from bot.db import get_engine
from bot.faq.publish import Publisher
from bot.privacy import purge_forever
from bot.reports.schedule import reports_forever
from bot.web import auth, edge
from bot.web.routers import admin, curation, health, inbox, kb_files, privacy, reports
from bot.zalo_sim.routers import chat, control, media, oauth, openapi, page


@asynccontextmanager
async def background_work(app: FastAPI, follower_count: Callable[[], Awaitable[int]] | None) -> AsyncIterator[None]:
    """The site's workers: the retention purge and the reports (the OA's follower count once a
    day, last month's report once the month is over). The publisher here only queues releases
    and rolls back; the publish worker that trains them is processes/publisher.py."""
    app.state.publisher = Publisher(get_engine(), rasa_url(), os.environ.get("RASA_TOKEN") or None, releases_dir())
    tasks = [
        # Texts and names past the retention period are purged here, as `python -m bot purge` does.
        asyncio.create_task(purge_forever(get_engine())),
        asyncio.create_task(reports_forever(get_engine(), follower_count)),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def create_app(lifespan: Callable[[FastAPI], Any] | None = None) -> FastAPI:
    # No /docs, /redoc or /openapi.json: the routes are pages and Zalo's webhook, not a public API.
    app = FastAPI(title="Trợ lý Zalo OA của UBND", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    edge.install(app)
    app.include_router(health.router)
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

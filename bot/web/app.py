"""The web app: `uvicorn bot.web.app:app --port 8000`. It only includes routers.

The Zalo simulator (/zalo-sim/) is served only while no real Zalo App is configured, i.e. while
ZALO_APP_ID is unset, so a production deployment cannot expose it by accident.
"""
from __future__ import annotations

import os

from fastapi import FastAPI

from bot.web.routers import health
from bot.zalo_sim.routers import chat, control, media, oauth, openapi, page


def create_app() -> FastAPI:
    app = FastAPI(title="Trợ lý Zalo OA của UBND")
    app.include_router(health.router)
    if not os.environ.get("ZALO_APP_ID"):
        for area in (openapi, oauth, chat, control, media, page):
            app.include_router(area.router)
    return app


app = create_app()

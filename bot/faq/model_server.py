"""The model server Rasa pulls from: `python -m bot.faq.model_server`.

Every Rasa server asks `GET /model` every few seconds (endpoints.yml `models:`) with the ETag of
the model it runs in `If-None-Match`; the answer is 304 while that is still the one to run, else
the model file with its ETag. The model to run is the one being rolled out (bot/faq/rollout.py),
else the live release's, else the starter model in models/. The ETag is the model's fingerprint
(its file name), which changes exactly when the training inputs do.

A process of its own, not a route of the web process: it reads the model files the publisher
writes, so it runs on the publisher's machine; it must answer while the publisher trains or
restarts (a Rasa server starting meanwhile gets its model here); and it stays off the web
process, which faces the Internet. It listens on MODEL_SERVER_HOST (127.0.0.1) port
MODEL_SERVER_PORT (5058), and answers only `Authorization: Bearer <MODEL_SERVER_TOKEN>`: without
a token it does not start.
"""
from __future__ import annotations

import argparse
import hmac
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.db import get_engine, model_release
from bot.faq.publish import live_model_path
from bot.faq.rollout import model_rollout

TOKEN_ENV = "MODEL_SERVER_TOKEN"
SUFFIX = ".tar.gz"


@dataclass(frozen=True)
class ServedModel:
    path: Path

    @property
    def etag(self) -> str:
        return f'"{self.path.name.removesuffix(SUFFIX)}"'


def served_model(engine: Engine, starter: Path | None = None) -> ServedModel | None:
    """The model being rolled out, else the live release's, else `starter` (default: the model
    of the checkout's data in models/); None when there is no model file yet."""
    with engine.connect() as conn:
        rolling = conn.execute(select(model_release.c.model_path).select_from(
            model_rollout.join(model_release, model_release.c.id == model_rollout.c.release_id))).scalar()
        live = conn.execute(select(model_release.c.model_path).where(model_release.c.live.is_(True))).scalar()
    for candidate in (rolling, live):
        if candidate and Path(candidate).is_file():
            return ServedModel(Path(candidate))
    path = starter if starter is not None and starter.is_file() else live_model_path(engine)
    return ServedModel(path) if path is not None else None


def _same_tag(header: str | None, etag: str) -> bool:
    """If-None-Match names this ETag (Rasa sends back the value it got, quotes and all)."""
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return etag in tags or etag.strip('"') in tags or "*" in tags


def create_app(engine: Engine, token: str, starter: Path | None = None) -> FastAPI:
    if not token:
        raise ValueError(f"the model server needs a token shared with the Rasa servers: set {TOKEN_ENV}")
    expected = f"Bearer {token}".encode()
    app = FastAPI(title="model server", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def only_rasa(request: Request, call_next):
        if request.url.path != "/health" and not hmac.compare_digest(
                request.headers.get("authorization", "").encode(), expected):
            return JSONResponse({"error": "only the Rasa servers may pull the model"}, status_code=401)
        return await call_next(request)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/model")
    def model(request: Request) -> Response:
        served = served_model(engine, starter)
        if served is None:
            return JSONResponse({"error": "no model has been trained yet"}, status_code=404)
        headers = {"ETag": served.etag, "Cache-Control": "no-cache"}
        if _same_tag(request.headers.get("if-none-match"), served.etag):
            return Response(status_code=304, headers=headers)
        # Rasa saves the download under this name, which its `GET /status` then reports.
        return FileResponse(served.path, media_type="application/gzip", headers=headers | {"filename": served.path.name})

    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="Serve the model the Rasa servers pull.")
    parser.add_argument("--starter", type=Path, help="the model served while no release is live "
                        "(default: the model of the checkout's data in models/)")
    args = parser.parse_args(argv)
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        sys.exit(f"the model server needs a token shared with the Rasa servers: set {TOKEN_ENV}")
    uvicorn.run(create_app(get_engine(), token, args.starter), host=os.environ.get("MODEL_SERVER_HOST", "127.0.0.1"),
                port=int(os.environ.get("MODEL_SERVER_PORT", "5058")), log_level="warning", access_log=False, ws="none")


if __name__ == "__main__":
    main()

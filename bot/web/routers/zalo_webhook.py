"""Zalo's webhook: `POST /webhooks/zalo/webhook`, stored and acknowledged before any handling."""
from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from connectors.zalo.gateway import ZaloGateway

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks/zalo", tags=["zalo"])


def _gateway(request: Request) -> ZaloGateway:
    return request.app.state.zalo


@router.get("/")
async def health(request: Request) -> JSONResponse:
    token = await _gateway(request).token_status()
    return JSONResponse({"status": "ok" if token == "ok" else "degraded", "token": token})


@router.post("/webhook")
async def receive(request: Request) -> JSONResponse:
    raw = await request.body()
    try:
        status, body = await _gateway(request).dispatcher.accept(raw, request.headers)
    except SQLAlchemyError:
        # Not stored, so not acknowledged: Zalo delivers it again later.
        logger.exception("webhook not stored: database unavailable")
        return JSONResponse({"error": "database unavailable; deliver again later"}, status_code=503)
    return JSONResponse(body, status_code=status)

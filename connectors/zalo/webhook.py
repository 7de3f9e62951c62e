"""Zalo's webhook: `POST /webhooks/zalo/webhook`, stored and acknowledged before any handling.

A FastAPI router; a process that receives webhooks (processes/receiver.py, and processes/web.py
on one machine) includes it and puts its `ZaloReceiver` at `app.state.zalo_receiver`.
"""
from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from connectors.zalo.receiver import ZaloReceiver

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks/zalo", tags=["zalo"])
# Zalo's largest event is a text of at most 2,000 characters: 24 KB even if every character came
# as a JSON-escaped surrogate pair, with a 2 KB envelope; attachments are links. 64 KB leaves room
# and stops a forged body before it is read, let alone parsed or its signature checked.
BODY_LIMIT = 64 * 1024
TOO_LARGE = {"error": f"the body is larger than {BODY_LIMIT} bytes; Zalo events are small"}


def _receiver(request: Request) -> ZaloReceiver:
    return request.app.state.zalo_receiver


@router.get("/")
async def health(request: Request) -> JSONResponse:
    token = await asyncio.to_thread(_receiver(request).token_status)
    return JSONResponse({"status": "ok" if token == "ok" else "degraded", "token": token})


async def _read_capped(request: Request) -> bytes | None:
    """The body, or None once it is larger than BODY_LIMIT (declared or as it streams in)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > BODY_LIMIT:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > BODY_LIMIT:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/webhook")
async def receive(request: Request) -> JSONResponse:
    raw = await _read_capped(request)
    if raw is None:
        logger.warning("webhook body over %d bytes refused unread", BODY_LIMIT)
        return JSONResponse(TOO_LARGE, status_code=413)
    try:
        status, body = await _receiver(request).accept(raw, request.headers)
    except SQLAlchemyError:
        # Not stored, so not acknowledged: Zalo delivers it again later.
        logger.exception("webhook not stored: database unavailable")
        return JSONResponse({"error": "database unavailable; deliver again later"}, status_code=503)
    return JSONResponse(body, status_code=status)

"""Zalo's webhook deliveries checked and stored, nothing more: a receiver answers in milliseconds.

`accept` checks a body (JSON depth, `app_id`, signature, a readable event) and stores it in one
transaction twice over: in `zalo_event`, the channel's history (reports, erasure, operators),
and in the inbound ledger (`inbound_event`), from which turn workers take it in order per
citizen. The same key stored before is a duplicate delivery: nothing is stored, 200 all the same.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.db import storable, utc_now, zalo_event
from bot.inbound_ledger import inbound_event
from bot.inbound_wake import WakeSender
from bot.zalo_store import ZaloStore
from connectors.zalo.events import CHANNEL, MalformedEvent, ZaloEvent, parse_event
from connectors.zalo.signature import HEADER, verify_signature

logger = logging.getLogger(__name__)

# Zalo's events nest four levels (message.attachments[].payload); deeper is not Zalo.
MAX_DEPTH = 8
NO_CITIZEN = ""  # the ledger's citizen for events that name none (recorded only)


def nesting_depth(raw: bytes) -> int:
    """How deep the JSON's arrays and objects nest, brackets inside strings not counted."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


class ZaloReceiver:
    def __init__(self, app_id: str, oa_secret_key: str, engine: Engine, wake: WakeSender | None = None) -> None:
        self._app_id = app_id
        self._secret = oa_secret_key
        self.engine = engine
        self._wake = wake or WakeSender(engine)
        self._store = ZaloStore(engine)
        # The insert gets threads of its own: queued behind other database calls in the shared
        # default pool, an acknowledgement waited hundreds of milliseconds.
        self._threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="zalo-receiver")

    async def accept(self, raw: bytes, headers: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """Check and store one webhook delivery; returns (HTTP status, JSON body).

        A database error propagates (the route answers 503: not stored, so Zalo delivers again).
        """
        if nesting_depth(raw) > MAX_DEPTH:
            return 400, {"error": f"the JSON nests deeper than {MAX_DEPTH} levels"}
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return 400, {"error": "the body is not JSON"}
        if not isinstance(body, dict):
            return 400, {"error": "the body is not a JSON object"}
        app_id, timestamp = str(body.get("app_id", "")), str(body.get("timestamp", ""))
        if app_id != self._app_id:
            logger.warning("webhook for unknown app_id %r refused", app_id)
            return 401, {"error": "unknown app_id"}
        if not verify_signature(headers.get(HEADER), app_id, raw, timestamp, self._secret):
            logger.warning("webhook with a wrong or missing %s refused", HEADER)
            return 401, {"error": "bad signature"}
        try:
            event = parse_event(body)
        except MalformedEvent as exc:
            return 400, {"error": str(exc)}
        stored = await asyncio.get_running_loop().run_in_executor(
            self._threads, self.store, event, raw.decode("utf-8", "replace"))
        if not stored:
            logger.info("duplicate delivery of %s ignored (num_retry=%s)", event.key, headers.get("num_retry"))
            return 200, {"status": "duplicate"}
        return 200, {"status": "accepted"}

    def store(self, event: ZaloEvent, body: str) -> bool:
        """Both rows in one transaction, and the workers woken; False for a key stored before."""
        received = utc_now()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(zalo_event).values(
                    event_key=event.key, event_name=event.name, user_id=event.user_id, body=storable(body),
                    received_at=received))
                conn.execute(insert(inbound_event).values(
                    channel=CHANNEL, event_key=event.key, citizen=event.user_id or NO_CITIZEN, body=storable(body),
                    received_at=received, sent_ms=event.sent_ms))
                self._wake.in_transaction(conn)
        except IntegrityError:
            return False
        self._wake.after_commit()
        return True

    def token_status(self) -> str:
        pair = self._store.token()
        return pair.status if pair else "missing"

"""Posts signed events to the webhook URL the way Zalo does (DOCS webhook/tong-quan, fact sheet §2.1-2.2).

The body is serialised once; those exact bytes are signed and sent on every attempt. An event that
cannot be delivered (the connection could not be opened) is re-sent on the retry schedule with a
`num_retry` header; after the last retry Zalo turns the webhook off and unsubscribes the App.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import random
import logging
import time
from dataclasses import dataclass, field

import httpx

from bot.zalo_sim.settings import Settings

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-ZEvent-Signature"


def signature_header(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """Zalo's `mac=sha256(app_id + body + timestamp + OA secret key)`, computed here as Zalo does
    rather than borrowed from the channel, so the channel's own check is tested against it."""
    digest = hashlib.sha256(app_id.encode("utf-8") + body + timestamp.encode("utf-8") + oa_secret_key.encode("utf-8"))
    return "mac=" + digest.hexdigest()

# Zalo wants an answer within 2 s; waiting longer lets tests see how late a slow receiver was.
_TIMEOUT_SECONDS = 10.0


@dataclass
class DeliveryAttempt:
    num_retry: int
    sent_at: float
    status_code: int | None
    latency_ms: float
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"num_retry": self.num_retry, "sent_at": self.sent_at, "status_code": self.status_code,
                "latency_ms": round(self.latency_ms, 1), "error": self.error}


@dataclass
class Delivery:
    event_name: str
    url: str
    body: bytes
    signature: str
    duplicate: bool = False
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    delivered: bool = False
    skipped: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "event_name": self.event_name,
            "url": self.url,
            "body": json.loads(self.body),
            "duplicate": self.duplicate,
            "delivered": self.delivered,
            "skipped": self.skipped,
            "attempts": [attempt.to_json() for attempt in self.attempts],
        }


class WebhookSender:
    """Delivers events in the background and keeps every delivery for tests to inspect."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._settings = settings
        self._transport = transport
        self._tasks: set[asyncio.Task[None]] = set()
        self.url = settings.webhook_url
        self.disabled = False
        self.duplicates_pending = 0
        self.duplicate_rate = 0.0  # load tests: deliver this share of events twice
        self.random = random.Random(0)
        self.deliveries: list[Delivery] = []
        self._client: tuple[asyncio.AbstractEventLoop, httpx.AsyncClient] | None = None

    def _http(self) -> httpx.AsyncClient:
        """One client per event loop: building one (its TLS context) costs tens of milliseconds,
        which used to land inside every measured acknowledgement."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client[0] is not loop:
            self._client = (loop, httpx.AsyncClient(transport=self._transport, timeout=_TIMEOUT_SECONDS))
        return self._client[1]

    def post(self, event: dict[str, object]) -> list[Delivery]:
        """Start delivering `event`; twice when a duplicate delivery is armed. Needs a running loop."""
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        signature = signature_header(self._settings.app_id, body, str(event["timestamp"]), self._settings.oa_secret_key)
        copies = 1
        if self.duplicates_pending > 0:
            self.duplicates_pending -= 1
            copies = 2
        elif self.duplicate_rate and self.random.random() < self.duplicate_rate:
            copies = 2
        deliveries = []
        for copy in range(copies):
            delivery = Delivery(str(event["event_name"]), self.url, body, signature, duplicate=copy > 0)
            self.deliveries.append(delivery)
            deliveries.append(delivery)
            if self.disabled:
                delivery.skipped = True
                continue
            task = asyncio.get_running_loop().create_task(self._deliver(delivery))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return deliveries

    async def wait_idle(self) -> None:
        """Wait until every delivery, retries included, has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def reset(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        self.url = self._settings.webhook_url
        self.disabled = False
        self.duplicates_pending = 0
        self.duplicate_rate = 0.0
        self.deliveries.clear()

    def subscribe(self, url: str) -> None:
        """Point events at `url` and turn the webhook back on, as re-saving it in the App settings does."""
        self.url = url
        self.disabled = False

    async def _deliver(self, delivery: Delivery) -> None:
        for num_retry, delay in enumerate((0.0, *self._settings.retry_schedule)):
            if delay:
                await asyncio.sleep(delay)
            if await self._attempt(delivery, num_retry):
                return
        self.disabled = True
        logger.warning("webhook %s unreachable after %d retries; disabled as Zalo would",
                       delivery.url, len(self._settings.retry_schedule))

    async def _attempt(self, delivery: Delivery, num_retry: int) -> bool:
        """One POST; False only when the connection could not be opened, the case Zalo retries."""
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: delivery.signature}
        if num_retry:
            headers["num_retry"] = str(num_retry)
        client = self._http()
        sent_at = time.time()
        started = time.perf_counter()
        try:
            response = await client.post(delivery.url, content=delivery.body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            delivery.attempts.append(DeliveryAttempt(num_retry, sent_at, None, _ms_since(started), f"connection failed: {exc}"))
            return False
        except httpx.HTTPError as exc:
            delivery.attempts.append(DeliveryAttempt(num_retry, sent_at, None, _ms_since(started), f"{type(exc).__name__}: {exc}"))
            return True
        delivery.attempts.append(DeliveryAttempt(num_retry, sent_at, response.status_code, _ms_since(started)))
        delivery.delivered = response.is_success
        return True


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000

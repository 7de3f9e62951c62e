"""Send one text (with its buttons, if any) to a citizen with bounded retries, and say what
became of it. Buttons refused by Zalo cost the citizen nothing: the text goes again without them."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

import httpx

from bot.zalo_store import REFUSED, SENT, UNDELIVERED
from connectors.zalo.api import ZaloApiClient, ZaloApiError, ZaloButton, ZaloHttpError
from connectors.zalo.tokens import NoToken, OAuthError

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
BACKOFF_SECONDS = 0.5  # a rate limit: doubled after each failed attempt, 0.5, 1, 2 s
# A 5xx or a timeout is mostly one bad request, not an overloaded Zalo: its first retry comes at
# once (measured: 0.5 s put the reply p95 over 300 ms with 5 % failed sends), then as above.
TRANSIENT_FIRST_RETRY_SECONDS = 0.1
# Zalo's CS pages do not document buttons; if Zalo says the message is malformed (-201 invalid
# parameter) or of a type it does not take (-233), the buttons are what it objects to.
BUTTONS_REFUSED = frozenset({-201, -233})


@dataclass(frozen=True)
class Delivery:
    status: str  # sent | undelivered | refused
    attempts: int
    error_code: int | None = None
    error_message: str | None = None
    message_id: str | None = None
    # Zalo refused the buttons and the text went alone (what it answered is in the log).
    buttons_dropped: bool = False


async def deliver(
    client: ZaloApiClient,
    user_id: str,
    text: str,
    max_attempts: int | None = None,
    backoff: float | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    buttons: Sequence[ZaloButton] = (),
) -> Delivery:
    """Rate limits, 5xx and timeouts are retried with backoff; other refusals are final, except
    that a message whose buttons Zalo refuses is sent once more as plain text."""
    delivery = await _deliver(client, user_id, text, buttons, max_attempts, backoff, sleep)
    if not (buttons and delivery.status == REFUSED and delivery.error_code in BUTTONS_REFUSED):
        return delivery
    logger.warning("Zalo refused a message with %d buttons to %s (%s: %s); sending its text alone",
                   len(buttons), user_id, delivery.error_code, delivery.error_message)
    plain = await _deliver(client, user_id, text, (), max_attempts, backoff, sleep)
    return replace(plain, attempts=delivery.attempts + plain.attempts, buttons_dropped=True)


async def _deliver(
    client: ZaloApiClient,
    user_id: str,
    text: str,
    buttons: Sequence[ZaloButton],
    max_attempts: int | None,
    backoff: float | None,
    sleep: Callable[[float], Awaitable[None]],
) -> Delivery:
    max_attempts = max_attempts or MAX_ATTEMPTS
    backoff = BACKOFF_SECONDS if backoff is None else backoff
    for attempt in range(1, max_attempts + 1):
        try:
            result = await client.send_text(user_id, text, buttons)
            return Delivery(SENT, attempt, message_id=result.message_id)
        except ZaloApiError as exc:
            if not exc.retryable:
                logger.warning("Zalo refused a reply to %s: %s", user_id, exc)
                return Delivery(REFUSED, attempt, exc.code, exc.message)
            error: tuple[int | None, str] = (exc.code, exc.message)
            transient = False
        except (ZaloHttpError, httpx.TransportError) as exc:
            error = (getattr(exc, "status", None), str(exc) or type(exc).__name__)
            transient = True
        except (OAuthError, NoToken) as exc:
            logger.error("cannot send to %s without a valid token: %s", user_id, exc)
            return Delivery(UNDELIVERED, attempt, getattr(exc, "code", None), str(exc))
        if attempt < max_attempts:
            await sleep(_retry_delay(attempt, backoff, transient))
    logger.error("reply to %s undelivered after %d attempts: %s", user_id, max_attempts, error[1])
    return Delivery(UNDELIVERED, max_attempts, error[0], error[1])


def _retry_delay(attempt: int, backoff: float, transient: bool) -> float:
    if transient:
        return min(TRANSIENT_FIRST_RETRY_SECONDS, backoff) if attempt == 1 else backoff * 2 ** (attempt - 2)
    return backoff * 2 ** (attempt - 1)

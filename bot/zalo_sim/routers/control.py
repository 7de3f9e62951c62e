"""Test switches and read-outs at /zalo-sim/api: make Zalo misbehave on purpose, see what it did."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, root_validator

from bot.zalo_sim.dependencies import get_simulator
from bot.zalo_sim.simulator import Simulator, UnknownCitizen

router = APIRouter(prefix="/zalo-sim/api", tags=["zalo-sim: test switches"])


class FailSends(BaseModel):
    count: int = 1
    # A Zalo error code (-32, -216, -230, ...) answered with HTTP 200, or a bare HTTP status.
    error: int | None = None
    http_status: int | None = None

    @root_validator(skip_on_failure=True)
    def _one_failure(cls, values: dict[str, object]) -> dict[str, object]:
        if (values.get("error") is None) == (values.get("http_status") is None):
            raise ValueError("give exactly one of error or http_status")
        return values


class RandomFaults(BaseModel):
    send_failure_rate: float = 0.0
    http_status: int = 503
    duplicate_rate: float = 0.0
    seed: int = 7


class Count(BaseModel):
    count: int = 1


class TokenTtl(BaseModel):
    seconds: float


class LastInteraction(BaseModel):
    user_id: str
    days_ago: float


class WebhookTarget(BaseModel):
    url: str


@router.get("/switches")
async def switches(sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    return _switch_state(sim)


@router.post("/switches/fail-sends")
async def fail_sends(body: FailSends, sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    sim.fail_next_sends(body.count, error=body.error, http_status=body.http_status)
    return _switch_state(sim)


@router.post("/switches/random-faults")
async def random_faults(body: RandomFaults, sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    sim.set_random_faults(body.send_failure_rate, body.http_status, body.duplicate_rate, body.seed)
    return _switch_state(sim)


@router.post("/switches/duplicate-deliveries")
async def duplicate_deliveries(body: Count, sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    sim.webhook.duplicates_pending = max(body.count, 0)
    return _switch_state(sim)


@router.post("/switches/expire-tokens")
async def expire_tokens(sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    sim.tokens.expire_all()
    return _switch_state(sim)


@router.post("/switches/token-ttl")
async def token_ttl(body: TokenTtl, sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    sim.set_token_ttl(body.seconds)
    return _switch_state(sim)


@router.post("/switches/last-interaction")
async def last_interaction(body: LastInteraction, sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    try:
        return sim.set_last_interaction(body.user_id, body.days_ago).to_json()
    except UnknownCitizen as exc:
        raise HTTPException(404, f"Không có công dân nào mang user_id {body.user_id}") from exc


@router.post("/reset")
async def reset(sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    sim.reset()
    return _switch_state(sim)


@router.get("/oa-messages")
async def oa_messages(user_id: str | None = None, since: int = 0, sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    """What the OA sent, in order; from the `since`-th on (a poller's cursor), with the total."""
    messages = sim.state.oa_messages(user_id)
    return {"total": len(messages), "messages": [message.to_json() for message in messages[max(0, since):]]}


@router.get("/webhook")
async def webhook(last: int | None = None, sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    """Where events go and every delivery so far; only the `last` few when given."""
    return _webhook_state(sim, last)


@router.post("/webhook")
async def subscribe_webhook(body: WebhookTarget, sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    sim.webhook.subscribe(body.url)
    return _webhook_state(sim)


def _switch_state(sim: Simulator) -> dict[str, object]:
    failure = sim.state.send_failure
    return {
        "send_failure": vars(failure) if failure else None,
        "duplicates_pending": sim.webhook.duplicates_pending,
        "send_failure_rate": sim.state.send_failure_rate,
        "duplicate_rate": sim.webhook.duplicate_rate,
        "access_token_ttl": sim.tokens.ttl,
        "webhook_disabled": sim.webhook.disabled,
    }


def _webhook_state(sim: Simulator, last: int | None = None) -> dict[str, object]:
    deliveries = sim.webhook.deliveries
    if last is not None:
        deliveries = deliveries[-last:] if last > 0 else []
    return {
        "url": sim.webhook.url,
        "disabled": sim.webhook.disabled,
        "deliveries": [delivery.to_json() for delivery in deliveries],
    }

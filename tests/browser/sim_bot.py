"""The simulator's page served beside a stand-in bot behind its webhook, for browser tests that
need no model: the bot records every event and answers citizens' texts with the test's `reply`."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from fastapi import BackgroundTasks, FastAPI, Request

from bot.web.app import create_app
from bot.zalo_sim.dependencies import get_simulator
from bot.zalo_sim.settings import Settings
from bot.zalo_sim.simulator import Simulator
from connectors.zalo.signature import verify_signature
from tests.browser.conftest import bind_free_port

SETTINGS = Settings(retry_schedule=(0.2, 0.5))
Reply = Callable[[str, str], Awaitable[None]]  # (citizen id, text) -> answers through the OA API


def webhook_bot(reply: Reply, received: list[dict]) -> FastAPI:
    """Records each webhook event (with `_signed`: its signature checked) and answers each
    user_send_text with `reply` after the 200, as a real bot would."""
    bot = FastAPI()

    @bot.post("/webhooks/zalo/webhook")
    async def webhook(request: Request, background: BackgroundTasks) -> dict[str, bool]:
        raw = await request.body()
        event = await request.json()
        event["_signed"] = verify_signature(
            request.headers.get("X-ZEvent-Signature"), SETTINGS.app_id, raw, event["timestamp"], SETTINGS.oa_secret_key
        )
        received.append(event)
        if event["event_name"] == "user_send_text":
            background.add_task(reply, event["sender"]["id"], event["message"]["text"])
        return {"ok": True}

    return bot


@contextmanager
def simulator_with_bot(serve, make_reply: Callable[[str], Reply]) -> Iterator[tuple[str, list[dict]]]:
    """(the simulator's base URL, the events the bot received); `make_reply(sim_url)` gives the
    bot's answering function."""
    sim_socket, sim_url = bind_free_port()
    bot_socket, bot_url = bind_free_port()
    received: list[dict] = []
    sim = Simulator(Settings(webhook_url=f"{bot_url}/webhooks/zalo/webhook", retry_schedule=SETTINGS.retry_schedule))
    app = create_app()
    app.dependency_overrides[get_simulator] = lambda: sim
    with serve(webhook_bot(make_reply(sim_url), received), bot_socket), serve(app, sim_socket):
        yield sim_url, received

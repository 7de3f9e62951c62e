"""Rolling a model out to every Rasa server through Rasa's own model-server pull.

Each Rasa server asks the model server (bot/faq/model_server.py) every few seconds for its
model, with the ETag of the one it has (`If-None-Match`; endpoints.yml `models:`), and loads a
new one when the answer is 200. The publisher names the model to roll out (`model_rollout`),
then waits until every Rasa server's `GET /status` reports that model's file; only then does
the release become live for the action server. A server that does not load it in time ends the
rollout: the row goes, the model server offers the live model again, and a server that had
loaded the new one pulls the live one back.
"""
from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Column, Integer, Table, delete, insert
from sqlalchemy.engine import Engine

from bot.db import UtcDateTime, metadata, utc_now

# At most one rollout at a time: the row with this id, or none.
model_rollout = Table(
    "model_rollout",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("release_id", Integer, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
)
ROLLOUT_ROW = 1
# endpoints.yml pulls every 10 s; loading takes seconds; a server restarting meanwhile takes longer.
ROLLOUT_SECONDS = 180.0
POLL_SECONDS = 1.0


class RolloutError(RuntimeError):
    """Some Rasa server did not serve the model in time; names them and what they serve."""


def start_rollout(engine: Engine, release_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(delete(model_rollout))
        conn.execute(insert(model_rollout).values(id=ROLLOUT_ROW, release_id=release_id, started_at=utc_now()))


def end_rollout(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(model_rollout))


def rasa_servers(default: str) -> list[str]:
    """Every Rasa server a rollout waits for: RASA_URLS (comma-separated, as the turn workers read
    it), else `default`."""
    listed = [u.strip().rstrip("/") for u in os.environ.get("RASA_URLS", "").split(",") if u.strip()]
    return listed or [default.rstrip("/")]


@dataclass
class RasaFleet:
    urls: Sequence[str]
    token: str | None = None
    timeout: float = ROLLOUT_SECONDS
    poll: float = POLL_SECONDS
    transport: httpx.AsyncBaseTransport | None = field(default=None, repr=False)  # tests

    async def serving(self) -> dict[str, str | None]:
        """Each server's model file (`GET /status`), None when it does not answer or has none."""
        params = {"token": self.token} if self.token else None
        async with httpx.AsyncClient(timeout=5, transport=self.transport) as http:
            answers = await asyncio.gather(*(http.get(f"{url}/status", params=params) for url in self.urls),
                                           return_exceptions=True)
        return {url: (a.json().get("model_file") if isinstance(a, httpx.Response) and a.status_code == 200 else None)
                for url, a in zip(self.urls, answers)}

    async def wait_until_serving(self, model_file: str, progress: Callable[[int, int], None] | None = None) -> dict[str, float]:
        """Seconds until each server reported `model_file`; RolloutError after `timeout`."""
        started = time.monotonic()
        ready: dict[str, float] = {}
        while True:
            for url, name in (await self.serving()).items():
                if name == model_file and url not in ready:
                    ready[url] = round(time.monotonic() - started, 1)
            if progress is not None:
                progress(len(ready), len(self.urls))
            if len(ready) == len(self.urls):
                return ready
            if time.monotonic() - started > self.timeout:
                late = {url: name for url, name in (await self.serving()).items() if url not in ready}
                raise RolloutError(f"{len(late)} of {len(self.urls)} Rasa servers did not load {model_file} "
                                   f"within {self.timeout:.0f} s: {late}")
            await asyncio.sleep(self.poll)

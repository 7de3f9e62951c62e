"""Models reach the Rasa servers through Rasa's own pull: the model server's answers (ETag, 304,
token), Rasa's own pull code against it, and the publisher waiting for every server's /status."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, insert, select

from bot import paths
from bot.db import model_release, utc_now
from bot.faq import publish
from bot.faq.model_server import create_app, served_model
from bot.faq.rollout import RasaFleet, RolloutError, model_rollout, start_rollout

TOKEN = "model-token"


@pytest.fixture
def engine(fresh_sqlite_url):
    engine = create_engine(fresh_sqlite_url, future=True)
    yield engine
    engine.dispose()


def _model(folder: Path, fp: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{fp}.tar.gz"
    path.write_bytes(f"model {fp}".encode())
    return path


def _release(engine, model: Path, live: bool = False, status: str = publish.GATING) -> int:
    with engine.begin() as conn:
        return int(conn.execute(insert(model_release).values(
            status=status, fingerprint=model.name[:-7], model_path=str(model), data_dir=str(model.parent),
            requested_by="bien-tap", requested_at=utc_now(), progress="", report="{}", live=live,
        )).inserted_primary_key[0])


@pytest.fixture
def models(tmp_path, engine):
    starter = _model(tmp_path / "models", "starter0fp")
    live = _model(tmp_path / "models", "live0fp")
    candidate = _model(tmp_path / "models", "candidate0fp")
    return {"starter": starter, "live": live, "candidate": candidate, "engine": engine}


def _client(engine, starter: Path | None) -> httpx.Client:
    from fastapi.testclient import TestClient

    return TestClient(create_app(engine, TOKEN, starter), headers={"Authorization": f"Bearer {TOKEN}"})


def test_the_model_server_needs_its_token(models):
    with _client(models["engine"], models["starter"]) as client:
        assert client.get("/model", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/model", headers={"Authorization": ""}).status_code == 401
        assert client.get("/health", headers={"Authorization": ""}).json() == {"status": "ok"}
    with pytest.raises(ValueError, match="MODEL_SERVER_TOKEN"):
        create_app(models["engine"], "")


def test_the_model_server_serves_the_starter_then_the_rollout_then_the_live_model(models):
    engine = models["engine"]
    with _client(engine, models["starter"]) as client:
        first = client.get("/model")
        assert first.status_code == 200 and first.content == b"model starter0fp"
        assert first.headers["etag"] == '"starter0fp"' and first.headers["filename"] == "starter0fp.tar.gz"
        # Rasa sends back the ETag it got, quotes and all: nothing new.
        assert client.get("/model", headers={"If-None-Match": '"starter0fp"'}).status_code == 304
        assert client.get("/model", headers={"If-None-Match": "starter0fp"}).status_code == 304

        _release(engine, models["live"], live=True, status=publish.LIVE)
        assert client.get("/model", headers={"If-None-Match": '"starter0fp"'}).headers["etag"] == '"live0fp"'

        start_rollout(engine, _release(engine, models["candidate"]))
        rolled = client.get("/model", headers={"If-None-Match": '"live0fp"'})
        assert rolled.status_code == 200 and rolled.content == b"model candidate0fp"

        publish.Publisher(engine, "http://rasa.invalid").recover_interrupted()  # the rollout was cut short
        assert client.get("/model", headers={"If-None-Match": '"candidate0fp"'}).headers["etag"] == '"live0fp"'


def test_without_any_model_the_model_server_says_so(engine, tmp_path, monkeypatch):
    monkeypatch.setattr(publish, "model_path", lambda: tmp_path / "none.tar.gz")
    assert served_model(engine, None) is None
    with _client(engine, None) as client:
        assert client.get("/model").status_code == 404


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def model_server(models, tmp_path):
    """`python -m bot.faq.model_server` on a free port, as the Rasa servers reach it."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "MODEL_SERVER_TOKEN"} | {
        "DATABASE_URL": models["engine"].url.render_as_string(hide_password=False), "MODEL_SERVER_TOKEN": TOKEN,
        "MODEL_SERVER_PORT": str(port)}
    process = subprocess.Popen([sys.executable, "-m", "bot.faq.model_server", "--starter", str(models["starter"])],
                               cwd=paths.ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.TransportError:
            assert process.poll() is None, "the model server exited"
            assert time.monotonic() < deadline, "the model server did not start"
            time.sleep(0.05)  # polling for its first answer, the positive signal
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_rasas_own_pull_fetches_a_new_model_once_and_then_hears_nothing_new(models, model_server, tmp_path):
    from rasa.core.agent import _pull_model_and_fingerprint
    from rasa.utils.endpoints import EndpointConfig

    endpoint = EndpointConfig(f"{model_server}/model", headers={"Authorization": f"Bearer {TOKEN}"})
    first, second, third = tmp_path / "first", tmp_path / "second", tmp_path / "third"
    for folder in (first, second, third):
        folder.mkdir()

    fingerprint = asyncio.run(_pull_model_and_fingerprint(endpoint, "a-random-start", str(first)))
    assert fingerprint == '"starter0fp"'
    assert (first / "starter0fp.tar.gz").read_bytes() == b"model starter0fp"  # the name /status reports
    assert asyncio.run(_pull_model_and_fingerprint(endpoint, fingerprint, str(second))) is None
    assert list(second.iterdir()) == []

    _release(models["engine"], models["live"], live=True, status=publish.LIVE)
    assert asyncio.run(_pull_model_and_fingerprint(endpoint, fingerprint, str(third))) == '"live0fp"'
    wrong = EndpointConfig(f"{model_server}/model", headers={"Authorization": "Bearer wrong"})
    assert asyncio.run(_pull_model_and_fingerprint(wrong, "a-random-start", str(third))) is None  # 401: keeps its model


class FakeRasa:
    """Rasa servers' `GET /status`: each reports the model file it was told to load."""

    def __init__(self, urls: list[str]) -> None:
        self.model = {url: "starter0fp.tar.gz" for url in urls}
        self.asked = 0

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            self.asked += 1
            assert request.url.params["token"] == "rasa-token"
            url = f"{request.url.scheme}://{request.url.host}:{request.url.port}"
            if self.model[url] is None:
                return httpx.Response(503)
            return httpx.Response(200, json={"model_file": self.model[url], "model_id": "x"})
        return httpx.MockTransport(handle)


def _publisher(engine, tmp_path, rasa: FakeRasa, timeout: float = 5.0) -> publish.Publisher:
    fleet = RasaFleet(list(rasa.model), "rasa-token", timeout=timeout, poll=0.01, transport=rasa.transport())
    return publish.Publisher(engine, "http://rasa.invalid", "rasa-token", releases_dir=tmp_path / "releases",
                             models_dir=tmp_path / "models", fleet=fleet)


def test_a_release_is_live_once_every_rasa_server_serves_its_model(models, tmp_path, monkeypatch):
    engine = models["engine"]
    rasa = FakeRasa(["http://10.0.0.1:5005", "http://10.0.0.2:5005"])
    publisher = _publisher(engine, tmp_path, rasa)
    monkeypatch.setattr(publisher, "live", lambda: publish.LiveModel(models["starter"], paths.ROOT, None))
    release_id = _release(engine, models["candidate"])
    seen: list[tuple[bool, str]] = []
    real_serving = publisher.fleet.serving

    async def serving() -> dict[str, str | None]:
        # Each server pulls in its own time: the first now, the second two polls later.
        with engine.connect() as conn:
            rolling = conn.execute(select(model_rollout.c.release_id)).scalar()
        seen.append((publisher.get(release_id).live, publisher.get(release_id).progress))
        if rolling == release_id:
            rasa.model["http://10.0.0.1:5005"] = "candidate0fp.tar.gz"
            if len(seen) >= 3:
                rasa.model["http://10.0.0.2:5005"] = "candidate0fp.tar.gz"
        return await real_serving()

    monkeypatch.setattr(publisher.fleet, "serving", serving)
    servers = asyncio.run(publisher.go_live(release_id))

    assert set(servers) == set(rasa.model)
    assert [live for live, _ in seen] == [False] * len(seen)  # the action server follows only after all
    assert any(progress.endswith("(1/2)") for _, progress in seen)
    assert publisher.get(release_id).live and publisher.get(release_id).status == publish.LIVE
    with engine.connect() as conn:
        assert conn.execute(select(model_rollout)).first() is None


def test_a_server_that_does_not_load_the_model_leaves_the_live_release_and_ends_the_rollout(models, tmp_path, monkeypatch):
    engine = models["engine"]
    live_id = _release(engine, models["live"], live=True, status=publish.LIVE)
    rasa = FakeRasa(["http://10.0.0.1:5005", "http://10.0.0.2:5005"])
    rasa.model = {"http://10.0.0.1:5005": "candidate0fp.tar.gz", "http://10.0.0.2:5005": None}
    publisher = _publisher(engine, tmp_path, rasa, timeout=0.2)
    release_id = _release(engine, models["candidate"])

    with pytest.raises(RolloutError, match=r"1 of 2 Rasa servers did not load candidate0fp.tar.gz.*10.0.0.2"):
        asyncio.run(publisher.go_live(release_id))

    assert publisher.get(live_id).live and not publisher.get(release_id).live
    with engine.connect() as conn:
        assert conn.execute(select(model_rollout)).first() is None  # the live model is offered again
    assert served_model(engine).path == models["live"]


def test_endpoints_for_one_machine_and_for_a_cluster_read_as_rasa_reads_them(monkeypatch):
    from rasa.core.utils import AvailableEndpoints

    monkeypatch.setenv("ACTION_SERVER_TOKEN", "a")
    monkeypatch.setenv("MODEL_SERVER_TOKEN", "m")
    local = AvailableEndpoints.read_endpoints(str(paths.ROOT / "endpoints.yml"))
    assert local.model.url == "http://127.0.0.1:5058/model"
    assert local.model.headers == {"Authorization": "Bearer m"} and local.model.kwargs["wait_time_between_pulls"] == 10
    assert local.lock_store is None  # one Rasa server: its in-memory lock store

    for name, value in {"ACTION_SERVER_URL": "http://10.0.0.5:5055/webhook", "MODEL_SERVER_URL": "http://10.0.0.9:5058/model",
                        "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_PASSWORD": ""}.items():
        monkeypatch.setenv(name, value)
    cluster = AvailableEndpoints.read_endpoints(str(paths.ROOT / "endpoints-cluster.yml"))
    assert cluster.action.url == "http://10.0.0.5:5055/webhook" and cluster.action.headers == {"X-Action-Token": "a"}
    assert cluster.tracker_store.type == "bot.tracker_store.AppTrackerStore"
    assert cluster.lock_store.type == "redis" and cluster.lock_store.url == "127.0.0.1"
    assert cluster.model.url == "http://10.0.0.9:5058/model" and cluster.model.headers == {"Authorization": "Bearer m"}


def test_the_cluster_lock_store_is_rasas_redis_lock_store_shared_by_two_servers(monkeypatch):
    """Two Rasa servers' lock stores on one Redis: a conversation locked by one waits in the other."""
    from rasa.core.lock_store import LockStore, RedisLockStore
    from rasa.core.utils import AvailableEndpoints

    for name, value in {"ACTION_SERVER_URL": "http://127.0.0.1:5055/webhook", "ACTION_SERVER_TOKEN": "a",
                        "MODEL_SERVER_URL": "http://127.0.0.1:5058/model", "MODEL_SERVER_TOKEN": "m",
                        "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_PASSWORD": ""}.items():
        monkeypatch.setenv(name, value)
    config = AvailableEndpoints.read_endpoints(str(paths.ROOT / "endpoints-cluster.yml")).lock_store
    try:
        first, second = LockStore.create(config), LockStore.create(config)
    except Exception as exc:  # noqa: BLE001 - the lane without Redis
        pytest.skip(f"Redis unreachable at 127.0.0.1:6379: {exc}")
    assert isinstance(first, RedisLockStore)
    conversation = f"lock-test-{time.monotonic_ns()}"

    async def both() -> list[str]:
        order: list[str] = []

        async def turn(store: LockStore, name: str, hold: asyncio.Event | None) -> None:
            async with store.lock(conversation, wait_time_in_seconds=0.01):
                order.append(f"{name} in")
                if hold is not None:
                    await hold.wait()
                order.append(f"{name} out")

        release = asyncio.Event()
        holding = asyncio.create_task(turn(first, "a", release))
        while order != ["a in"]:
            await asyncio.sleep(0.01)
        waiting = asyncio.create_task(turn(second, "b", None))
        while len(first.get_lock(conversation).tickets) < 2:  # b has queued behind a, in Redis
            await asyncio.sleep(0.01)
        assert order == ["a in"]
        release.set()
        await asyncio.gather(holding, waiting)
        return order

    assert asyncio.run(both()) == ["a in", "a out", "b in", "b out"]

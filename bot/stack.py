"""Start the product's processes on chosen ports: for end-to-end tests and benchmarks.

`make run` (scripts/run.sh) starts the same processes on the standard ports, and `make
run-cluster` (Procfile.cluster) several of each. By default this is the `make run` shape: the
web process hosts the webhook route, one turn worker, one Rasa server, SQLite. With
`receivers`, `workers` and `rasa_servers` above one (PostgreSQL and Redis given), it is the
cluster's shape: the receivers behind one address (processes/balancer.py), the Rasa servers
sharing the SQL tracker store and Redis's lock store.
"""
from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bot import paths
from bot.migrate import upgrade


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    rasa_url: str
    web_url: str
    actions_url: str
    database_url: str
    sim_url: str  # the web process serving the Zalo simulator (the gateway's own, or a separate one)
    rasa_token: str = ""  # Rasa's HTTP API (/status, trackers) wants it as ?token=
    model_server_url: str = ""  # where Rasa pulls its model (bot/faq/model_server.py)
    webhook_url: str = ""  # where the simulator posts Zalo's webhooks
    processes: list[subprocess.Popen] = field(default_factory=list)
    named: dict[str, subprocess.Popen] = field(default_factory=dict)  # "worker-1", "receiver-2", "rasa-1", ...
    commands: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict)
    workdir: Path | None = None
    rasa_urls: list[str] = field(default_factory=list)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    def kill(self, name: str) -> None:
        """kill -9, as a lost machine or the OOM killer would."""
        process = self.named[name]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def restart(self, name: str) -> subprocess.Popen:
        """Start `name` again with its command and environment (after `kill`)."""
        command, env = self.commands[name]
        process = _spawn(name, command, env, self.workdir, append=True)
        self.processes.append(process)
        self.named[name] = process
        return process

    def publish_copy(self, model: Path) -> tuple[str, dict[str, float]]:
        """Put `model` live under a new file name, hence a new ETag, by the step a publish ends
        with (bot/faq/publish.py `go_live`): the model server offers it, every Rasa server pulls
        and loads it (endpoints.yml `models:`, bot/faq/rollout.py), and once each reports it in
        `GET /status` the release is live. Returns the file's name and each server's seconds.

        No training: the release row is a kept one (as a rollback's target), so the stack's
        publish worker does not take it for a queued or abandoned release of its own."""
        # Publishing's imports (the gate, the trainer) only where a model is published.
        from sqlalchemy import create_engine, insert

        from bot.db import model_release, utc_now
        from bot.faq.publish import RETIRED, Publisher, live_model_path
        from bot.faq.rollout import RasaFleet
        from bot.model import cache_dir, model_path

        engine = create_engine(self.database_url, future=True)
        try:
            if live_model_path(engine) is None and not (cache_dir() / model_path().name).exists():
                raise RuntimeError("go_live would train the starter model to record it as a release")
            folder = self.workdir / "published"
            folder.mkdir(exist_ok=True)
            copy = folder / f"published{secrets.token_hex(6)}.tar.gz"
            shutil.copyfile(model, copy)
            with engine.begin() as conn:
                release_id = conn.execute(insert(model_release).values(
                    status=RETIRED, fingerprint=copy.name.removesuffix(".tar.gz"), model_path=str(copy),
                    data_dir=str(paths.ROOT), requested_by="stack", requested_at=utc_now(), live=False,
                )).inserted_primary_key[0]
            publisher = Publisher(engine, self.rasa_url, self.rasa_token, releases_dir=self.workdir / "releases",
                                  models_dir=folder, fleet=RasaFleet(self.rasa_urls, self.rasa_token))
            return copy.name, asyncio.run(publisher.go_live(int(release_id)))
        finally:
            engine.dispose()


def _spawn(name: str, command: list[str], env: dict[str, str], workdir: Path, append: bool = False) -> subprocess.Popen:
    flags = os.O_CREAT | os.O_WRONLY | (os.O_APPEND if append else os.O_TRUNC)
    log = os.fdopen(os.open(workdir / f"{name}.log", flags, 0o600), "ab")
    return subprocess.Popen(command, cwd=paths.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def start_stack(model: Path, workdir: Path, database_url: str | None = None, timeout: float = 180.0,
                separate_simulator: bool = False, *, receivers: int = 0, workers: int = 1, rasa_servers: int = 1,
                redis_url: str | None = None, worker_concurrency: int = 16, publisher: bool = True) -> Stack:
    """The model server, the publish worker, the action server, Rasa (REST and Zalo channels), the
    web process (staff site, simulator, and with `receivers=0` the webhook route), receivers and
    turn workers. `publisher=False` leaves the publish worker out, for a test or benchmark that
    builds releases itself.

    `separate_simulator` serves the simulator from a process of its own, as Zalo is another
    machine: benchmarks then measure the receivers, not the simulator sharing their event loop.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    database_url = database_url or f"sqlite:///{workdir / 'bot.db'}"
    upgrade(database_url)
    action_port, web_port, sim_port, model_port = free_port(), free_port(), free_port(), free_port()
    rasa_ports = [free_port() for _ in range(rasa_servers)]
    receiver_ports = [free_port() for _ in range(receivers)]
    wake_ports = [free_port() for _ in range(workers)] if database_url.startswith("sqlite") else []
    web = f"http://127.0.0.1:{web_port}"
    sim = f"http://127.0.0.1:{sim_port}" if separate_simulator else web
    balancer_port = free_port() if receivers > 1 else None
    if receivers == 0:
        webhook = f"{web}/webhooks/zalo/webhook"
    else:
        webhook = f"http://127.0.0.1:{balancer_port or receiver_ports[0]}/webhooks/zalo/webhook"
    (workdir / "credentials.yml").write_text(
        "connectors.rest.RestInput:\n"
        "connectors.zalo.channel.ZaloInput:\n"
        "  app_id: sim-app\n  app_secret: sim-app-secret\n  oa_secret_key: sim-oa-secret\n"
        "  access_token: sim-access-0\n  refresh_token: sim-refresh-0\n"
        f"  api_base: {sim}/zalo-sim/openapi\n  oauth_base: {sim}/zalo-sim/oauth\n",
        encoding="utf-8",
    )
    endpoints = (
        f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n"
        "  headers:\n    X-Action-Token: ${ACTION_SERVER_TOKEN}\n"
        "tracker_store:\n  type: bot.tracker_store.AppTrackerStore\n"
        f"models:\n  url: http://127.0.0.1:{model_port}/model\n"
        "  headers:\n    Authorization: Bearer ${MODEL_SERVER_TOKEN}\n  wait_time_between_pulls: 1\n"
    )
    if redis_url:  # Rasa's Redis lock store, as endpoints-cluster.yml has it
        host, _, port = redis_url.removeprefix("redis://").split("/")[0].partition(":")
        endpoints += (f"lock_store:\n  type: redis\n  url: {host}\n  port: {port or 6379}\n  db: 1\n"
                      f"  key_prefix: \"stack{secrets.token_hex(3)}\"\n")
    (workdir / "endpoints.yml").write_text(endpoints, encoding="utf-8")
    rasa_urls = [f"http://127.0.0.1:{p}" for p in rasa_ports]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZALO_")}
    env.update(
        DATABASE_URL=database_url,
        ZALO_SIM_WEBHOOK_URL=webhook,
        ZALO_CREDENTIALS=str(workdir / "credentials.yml"),
        RASA_URL=rasa_urls[0],
        RASA_URLS=",".join(rasa_urls),
        RASA_TOKEN=secrets.token_hex(16),
        ACTION_SERVER_TOKEN=secrets.token_hex(16),
        MODEL_SERVER_TOKEN=secrets.token_hex(16),
        MODEL_SERVER_PORT=str(model_port),
        ACTIONS_PORT=str(action_port),
        RELEASES_DIR=str(workdir / "releases"),
        INBOUND_WAKE=",".join(f"127.0.0.1:{p}" for p in wake_ports),
        TF_CPP_MIN_LOG_LEVEL="3",
        LOG_LEVEL_LIBRARIES="ERROR",
        LOG_LEVEL="WARNING",
    )
    stack = Stack(rasa_urls[0], web, f"http://127.0.0.1:{action_port}", database_url, sim, env["RASA_TOKEN"],
                  f"http://127.0.0.1:{model_port}", webhook, workdir=workdir, rasa_urls=rasa_urls)
    py = sys.executable
    # Rasa takes its model from the model server (`model` until a release is live), as in `make run`.
    commands: list[tuple[str, list[str], dict[str, str]]] = [
        ("model_server", [py, "-m", "bot.faq.model_server", "--starter", str(model)], env),
        *([("publisher", [py, "-m", "processes.publisher"], env)] if publisher else []),
        ("actions", [py, "-m", "actions.server"], env),
        ("web", [py, "-m", "uvicorn", "processes.web:app", "--host", "127.0.0.1", "--port", str(web_port),
                 "--log-level", "warning", "--ws", "none"], env),
    ]
    for n, port in enumerate(rasa_ports, 1):
        commands.append((f"rasa-{n}", [py, "-m", "connectors.serve_rasa", "--port", str(port), "--enable-api",
                                       "--credentials", str(workdir / "credentials.yml"),
                                       "--endpoints", str(workdir / "endpoints.yml")], env))
    for n, port in enumerate(receiver_ports, 1):
        commands.append((f"receiver-{n}", [py, "-m", "processes.receiver", "--port", str(port)], env))
    if balancer_port:
        commands.append(("balancer", [py, "-m", "processes.balancer", "--port", str(balancer_port),
                                      *(f"127.0.0.1:{p}" for p in receiver_ports)], env))
    for n in range(1, workers + 1):
        wake = ["--wake-port", str(wake_ports[n - 1])] if wake_ports else []
        commands.append((f"worker-{n}", [py, "-m", "processes.worker", "--name", f"worker-{n}",
                                         "--concurrency", str(worker_concurrency), *wake], env))
    if separate_simulator:
        commands.append(("simulator", [py, "-m", "uvicorn", "processes.web:app", "--host", "127.0.0.1", "--port",
                                       str(sim_port), "--log-level", "warning", "--ws", "none"],
                         env | {"ZALO_GATEWAY": "off"}))
    for name, command, process_env in commands:
        process = _spawn(name, command, process_env, workdir)
        stack.processes.append(process)
        stack.named[name] = process
        stack.commands[name] = (command, process_env)
    try:
        health = [f"{stack.model_server_url}/health", f"{stack.actions_url}/health", f"{web}/health", f"{sim}/health"]
        health += [f"{url}/webhooks/zalo/" for url in rasa_urls]
        health += [f"http://127.0.0.1:{p}/health" for p in receiver_ports]
        health += [f"http://127.0.0.1:{balancer_port}/health"] if balancer_port else []
        for url in health:
            _wait_for(url, stack, timeout)
    except Exception:
        stack.stop()
        raise
    return stack


def _wait_for(url: str, stack: Stack, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if any(p.poll() is not None for p in stack.processes):
                dead = [name for name, p in stack.named.items() if p.poll() is not None]
                raise RuntimeError(f"{', '.join(dead)} of the stack exited while waiting for {url}")
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")

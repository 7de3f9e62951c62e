"""Start the product's processes on chosen ports: for end-to-end tests and benchmarks.

`make run` (scripts/run.sh) starts the same processes on the standard ports.
"""
from __future__ import annotations

import os
import secrets
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
    processes: list[subprocess.Popen] = field(default_factory=list)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def start_stack(model: Path, workdir: Path, database_url: str | None = None, timeout: float = 180.0,
                separate_simulator: bool = False) -> Stack:
    """Rasa (REST and Zalo channels), the action server and the web process (Zalo gateway, simulator).

    `separate_simulator` serves the simulator from a process of its own, as Zalo is another
    machine: benchmarks then measure the gateway, not the simulator sharing its event loop.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    database_url = database_url or f"sqlite:///{workdir / 'bot.db'}"
    upgrade(database_url)
    rasa_port, action_port, web_port, sim_port, model_port = free_port(), free_port(), free_port(), free_port(), free_port()
    web = f"http://127.0.0.1:{web_port}"
    sim = f"http://127.0.0.1:{sim_port}" if separate_simulator else web
    (workdir / "credentials.yml").write_text(
        "connectors.rest.RestInput:\n"
        "connectors.zalo.channel.ZaloInput:\n"
        "  app_id: sim-app\n  app_secret: sim-app-secret\n  oa_secret_key: sim-oa-secret\n"
        "  access_token: sim-access-0\n  refresh_token: sim-refresh-0\n"
        f"  api_base: {sim}/zalo-sim/openapi\n  oauth_base: {sim}/zalo-sim/oauth\n",
        encoding="utf-8",
    )
    (workdir / "endpoints.yml").write_text(
        f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n"
        "  headers:\n    X-Action-Token: ${ACTION_SERVER_TOKEN}\n"
        "tracker_store:\n  type: bot.tracker_store.AppTrackerStore\n"
        f"models:\n  url: http://127.0.0.1:{model_port}/model\n"
        "  headers:\n    Authorization: Bearer ${MODEL_SERVER_TOKEN}\n  wait_time_between_pulls: 1\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZALO_")}
    env.update(
        DATABASE_URL=database_url,
        ZALO_SIM_WEBHOOK_URL=f"{web}/webhooks/zalo/webhook",
        ZALO_CREDENTIALS=str(workdir / "credentials.yml"),
        RASA_URL=f"http://127.0.0.1:{rasa_port}",
        RASA_TOKEN=secrets.token_hex(16),
        ACTION_SERVER_TOKEN=secrets.token_hex(16),
        MODEL_SERVER_TOKEN=secrets.token_hex(16),
        MODEL_SERVER_PORT=str(model_port),
        ACTIONS_PORT=str(action_port),
        RELEASES_DIR=str(workdir / "releases"),
        TF_CPP_MIN_LOG_LEVEL="3",
        LOG_LEVEL_LIBRARIES="ERROR",
    )
    stack = Stack(f"http://127.0.0.1:{rasa_port}", web, f"http://127.0.0.1:{action_port}", database_url, sim, env["RASA_TOKEN"],
                  f"http://127.0.0.1:{model_port}")
    # Rasa takes its model from the model server (`model` until a release is live), as in `make run`.
    commands = [
        [sys.executable, "-m", "bot.faq.model_server", "--starter", str(model)],
        [sys.executable, "-m", "actions.server"],
        [sys.executable, "-m", "uvicorn", "processes.web:app", "--host", "127.0.0.1", "--port", str(web_port), "--log-level", "warning", "--ws", "none"],
        [sys.executable, "-m", "connectors.serve_rasa", "--port", str(rasa_port), "--enable-api",
         "--credentials", str(workdir / "credentials.yml"), "--endpoints", str(workdir / "endpoints.yml")],
    ]
    names = ["model_server", "actions", "web", "rasa"]
    if separate_simulator:
        commands.append([sys.executable, "-m", "uvicorn", "processes.web:app", "--host", "127.0.0.1", "--port", str(sim_port),
                         "--log-level", "warning", "--ws", "none"])
        names.append("simulator")
    for name, command in zip(names, commands):
        log = os.fdopen(os.open(workdir / f"{name}.log", os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600), "wb")
        process_env = env | {"ZALO_GATEWAY": "off"} if name == "simulator" else env
        stack.processes.append(subprocess.Popen(command, cwd=paths.ROOT, env=process_env, stdout=log, stderr=subprocess.STDOUT))
    try:
        for url in (f"{stack.model_server_url}/health", f"{stack.actions_url}/health", f"{web}/health", f"{stack.rasa_url}/webhooks/zalo/", f"{web}/webhooks/zalo/", f"{sim}/health"):
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
                raise RuntimeError(f"a process of the stack exited while waiting for {url}")
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")

"""Browser tests' servers: small apps under uvicorn in a thread, or the whole stack of processes."""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
import uvicorn

from tests.browser.chromium import require_chromium


def bind_free_port() -> tuple[socket.socket, str]:
    """A listening-ready socket on a free port, and its base URL, known before any server starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def _serve(app: object, sock: socket.socket) -> Iterator[None]:
    # ws="none": rasa pins websockets 10.4, which uvicorn's automatic WebSocket support cannot import.
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start on %s" % (sock.getsockname(),))
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def serve() -> Callable[[object, socket.socket], AbstractContextManager[None]]:
    """`with serve(app, sock): ...` runs `app` with uvicorn on `sock` for the block."""
    return _serve


@pytest.fixture(scope="module")
def stack(trained_model, tmp_path_factory, request):
    """The real processes (Rasa with the trained model, actions, web with gateway and simulator),
    one set per test module."""
    from bot.stack import start_stack

    require_chromium()
    stack = start_stack(trained_model, tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def engine(stack):
    from sqlalchemy import create_engine

    engine = create_engine(stack.database_url, future=True)
    yield engine
    engine.dispose()

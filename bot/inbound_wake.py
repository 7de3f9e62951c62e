"""Waking turn workers the moment a receiver stores an event, so none waits for its next poll.

On PostgreSQL the receiver's insert transaction also runs `pg_notify('inbound_event')`: the
database delivers it at commit to every worker LISTENing, on any machine, and never for an
insert that rolled back. On SQLite (one machine, `make run`) the receiver sends one UDP datagram
to each worker's wake port on 127.0.0.1 after the commit. Either way a wake is only a hint: a
worker also polls the ledger every few seconds, so a lost wake costs latency, never an event.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Iterable

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

logger = logging.getLogger(__name__)

CHANNEL = "inbound_event"
RECONNECT_SECONDS = 1.0


def wake_addresses(value: str | None) -> list[tuple[str, int]]:
    """"127.0.0.1:5061,127.0.0.1:5062" -> [(host, port), ...]; empty or unset -> []."""
    addresses = []
    for item in (value or "").split(","):
        if item.strip():
            host, _, port = item.strip().rpartition(":")
            addresses.append((host or "127.0.0.1", int(port)))
    return addresses


class WakeSender:
    """The receiver's side: `in_transaction` inside the insert's transaction, `after_commit` after it."""

    def __init__(self, engine: Engine, addresses: Iterable[tuple[str, int]] = ()) -> None:
        self._notify = engine.dialect.name == "postgresql"
        self._addresses = list(addresses)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM) if self._addresses else None
        if self._socket is not None:
            self._socket.setblocking(False)

    def in_transaction(self, conn: Connection) -> None:
        if self._notify:
            conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})

    def after_commit(self) -> None:
        for address in self._addresses:
            with contextlib.suppress(OSError):  # no worker listening there now: it polls
                self._socket.sendto(b"!", address)


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._wake()


async def listen(engine: Engine, wake: Callable[[], None], udp_port: int | None = None) -> None:
    """Call `wake()` on every notification (PostgreSQL) or datagram (udp_port); runs until cancelled."""
    transport = None
    if udp_port:
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: _Datagrams(wake), local_addr=("127.0.0.1", udp_port))
    try:
        if engine.dialect.name == "postgresql":
            await _listen_postgresql(engine, wake)
        else:
            await asyncio.Event().wait()  # the datagrams only
    finally:
        if transport is not None:
            transport.close()


async def _listen_postgresql(engine: Engine, wake: Callable[[], None]) -> None:
    """LISTEN on a connection of its own, read without a thread: the event loop watches its socket.
    A database restart breaks the connection: reconnect, and wake once for what came meanwhile."""
    import psycopg2
    import psycopg2.extensions

    args = engine.url.translate_connect_args(username="user", database="dbname")
    loop = asyncio.get_running_loop()
    while True:
        try:
            conn = await asyncio.to_thread(psycopg2.connect, **args)
        except psycopg2.Error:
            logger.warning("LISTEN connection refused; polling only until it is back")
            await asyncio.sleep(RECONNECT_SECONDS)
            continue
        broken = asyncio.Event()
        try:
            conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
            conn.cursor().execute(f"LISTEN {CHANNEL}")
            wake()

            def readable() -> None:
                try:
                    conn.poll()
                except psycopg2.Error:
                    broken.set()
                    return
                if conn.notifies:
                    conn.notifies.clear()
                    wake()

            loop.add_reader(conn.fileno(), readable)
            try:
                while not broken.is_set():
                    # A silent network loss shows only when something is sent: check now and then.
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(broken.wait(), 10.0)
                    if not broken.is_set():
                        try:
                            conn.cursor().execute("SELECT 1")
                        except psycopg2.Error:
                            broken.set()
            finally:
                loop.remove_reader(conn.fileno())
        except psycopg2.Error:
            logger.warning("LISTEN connection lost; reconnecting")
        finally:
            with contextlib.suppress(Exception):
                conn.close()
        await asyncio.sleep(RECONNECT_SECONDS)

"""Several receivers behind one address, on one machine: `python -m processes.balancer --port 8000 HOST:PORT ...`.

A development stand-in for nginx (docs/deployment.md has the production configuration): each new
TCP connection goes to the next receiver in turn, skipping one that refuses, and bytes are
copied both ways. It knows nothing of HTTP and keeps nothing, so it adds one hop and no state.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging

logger = logging.getLogger(__name__)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


def serve(port: int, backends: list[tuple[str, int]], host: str = "127.0.0.1"):
    turn = itertools.cycle(range(len(backends)))

    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        for _ in range(len(backends)):
            backend = backends[next(turn)]
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection(*backend)
                break
            except OSError:
                logger.warning("receiver %s:%d refused; trying the next", *backend)
        else:
            client_writer.close()  # none answers: the caller (Zalo) delivers again later
            return
        await asyncio.gather(_pipe(client_reader, upstream_writer), _pipe(upstream_reader, client_writer))

    return asyncio.start_server(handle, host, port)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("backends", nargs="+", help="HOST:PORT of each receiver")
    args = parser.parse_args()
    backends = [(b.rpartition(":")[0] or "127.0.0.1", int(b.rpartition(":")[2])) for b in args.backends]

    async def run() -> None:
        server = await serve(args.port, backends, args.host)
        async with server:
            await server.serve_forever()

    asyncio.run(run())


if __name__ == "__main__":
    main()

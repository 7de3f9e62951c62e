"""A PostgreSQL cluster and a Redis server of their own, on free ports, for what restarts them.

The cluster's fault tests (tests/integration/test_cluster_faults.py) and bench/cluster_load.py
`--faults` restart the database and Redis mid-load; the machine's shared servers must not be
restarted, so these start their own: PostgreSQL with initdb/pg_ctl under a temporary directory
(as the postgres user when run as root), Redis without persistence.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bot.stack import free_port

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


class Unavailable(RuntimeError):
    """The server's programs are not installed here (a test skips, a benchmark says so)."""


class ThrowAwayPostgres:
    """A PostgreSQL cluster of its own (initdb as the postgres user when run as root)."""

    def __init__(self) -> None:
        if PG_BIN is None:
            raise Unavailable("PostgreSQL's initdb/pg_ctl are not installed")
        # Not under pytest's temporary directory: when run as root, the postgres user must reach it.
        self.root = Path(tempfile.mkdtemp(prefix="pg-faults-"))
        self.data = self.root / "pgdata"
        self.port = free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self._as, str(PG_BIN / tool), *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-o", f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 "
                  "-c max_connections=300 -c fsync=off", "-w", "-l", str(self.data.parent / "pg.log"), "start")

    def restart(self) -> None:
        # stop + start rather than `pg_ctl restart`, which would log to our pipe and never let go of it
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.start()

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


class ThrowAwayRedis:
    def __init__(self, root: Path) -> None:
        if shutil.which("redis-server") is None:
            raise Unavailable("redis-server is not installed")
        self.port = free_port()
        self.root = root
        self.url = f"redis://127.0.0.1:{self.port}"
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", str(self.root)], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout.strip() != b"PONG":
            if time.monotonic() > deadline:
                raise RuntimeError("redis did not start")
            time.sleep(0.05)

    def restart(self) -> None:
        self.process.kill()
        self.process.wait()
        self.start()

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()

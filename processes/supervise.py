"""Run a Procfile's processes on this machine: `python -m processes.supervise Procfile.cluster`.

What honcho or foreman do, kept to what `make run-cluster` needs: each line `name: command` runs
through /bin/sh (so $VARIABLES from the environment expand), its output prefixed with its name;
Ctrl-C, SIGTERM or any process exiting stops them all. Production runs the same commands under
systemd on several machines (docs/deployment.md).
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


def read_procfile(path: Path) -> list[tuple[str, str]]:
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            entries.append((name.strip(), command.strip()))
    return entries


def _relay(name: str, width: int, stream) -> None:
    for raw in iter(stream.readline, b""):
        sys.stdout.write(f"{name:<{width}} | {raw.decode('utf-8', 'replace')}")
        sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("procfile", type=Path)
    args = parser.parse_args()
    entries = read_procfile(args.procfile)
    width = max(len(name) for name, _ in entries)
    processes: dict[str, subprocess.Popen] = {}
    for name, command in entries:
        process = subprocess.Popen(["/bin/sh", "-c", f"exec {command}"], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        processes[name] = process
        threading.Thread(target=_relay, args=(name, width, process.stdout), daemon=True).start()
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    while not stopping.is_set():
        exited = [name for name, p in processes.items() if p.poll() is not None]
        if exited:
            print(f"{exited[0]} exited with {processes[exited[0]].returncode}; stopping the others", flush=True)
            break
        time.sleep(0.5)
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    sys.exit(main())

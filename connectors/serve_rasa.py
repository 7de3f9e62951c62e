"""`python -m connectors.serve_rasa <rasa run options>`: the Rasa server as this product runs it.

`rasa run --auth-token …` put the API token on the command line, where `ps` shows it to every
user of the machine (and with it a citizen's tracker is readable). Here the token comes from the
environment (RASA_TOKEN) and is handed to Rasa inside the process; the server listens on
RASA_HOST (127.0.0.1 unless a deployment says otherwise), and a request body is at most
REQUEST_LIMIT (Sanic's default is 100 MB; a turn is a few KB). It runs at niceness
RASA_NICENESS (5): on a shared machine webhook acknowledgements come before turns.
"""
from __future__ import annotations

import os
import sys

REQUEST_LIMIT = 1024 * 1024


def rasa_argv(argv: list[str], environ: dict[str, str]) -> list[str]:
    """The arguments `rasa` gets: ours, the interface, and the token when there is one."""
    args = ["rasa", "run", *argv, "--interface", environ.get("RASA_HOST", "127.0.0.1")]
    if environ.get("RASA_TOKEN"):
        args += ["--auth-token", environ["RASA_TOKEN"]]
    return args


def main() -> None:
    from bot.config import yield_cpu

    yield_cpu("RASA_NICENESS", 5)
    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(REQUEST_LIMIT))
    # /proc/<pid>/cmdline keeps what the process was started with; sys.argv is only ours.
    sys.argv = rasa_argv(sys.argv[1:], dict(os.environ))
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()

"""The action server as this product runs it: `python -m actions.server`.

rasa_sdk's own server listens on 0.0.0.0 and runs any action for anyone: a forged `POST /webhook`
with a made-up tracker opened a ticket in a real citizen's name. This one is rasa_sdk's app with
one check in front: every call but `GET /health` carries the shared secret that Rasa's
action endpoint sends (endpoints.yml: `headers: {X-Action-Token: ${ACTION_SERVER_TOKEN}}`). It
listens on ACTIONS_HOST (127.0.0.1 unless a deployment says otherwise), port ACTIONS_PORT (5055).
Without a token it does not start.
"""
from __future__ import annotations

import hmac
import logging
import os
import sys

from rasa_sdk.endpoint import create_app as create_sdk_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

HEADER = "X-Action-Token"
TOKEN_ENV = "ACTION_SERVER_TOKEN"
OPEN_PATHS = ("/health",)


def create_app(token: str, actions: str = "actions") -> Sanic:
    if not token:
        raise ValueError(f"the action server needs a shared secret with Rasa: set {TOKEN_ENV}")
    app = create_sdk_app(actions, cors_origins=None)
    expected = token.encode()

    @app.on_request
    async def only_rasa(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        if not hmac.compare_digest(request.headers.get(HEADER, "").encode(), expected):
            logger.warning("action server call without the shared secret refused (%s %s)", request.method, request.path)
            return response.json({"error": "only the Rasa server may call the action server"}, status=401)
        return None

    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        sys.exit(f"the action server needs a shared secret with Rasa: set {TOKEN_ENV}")
    app = create_app(token)
    app.run(os.environ.get("ACTIONS_HOST", "127.0.0.1"), int(os.environ.get("ACTIONS_PORT", "5055")),
            workers=1, access_log=False)


if __name__ == "__main__":
    main()

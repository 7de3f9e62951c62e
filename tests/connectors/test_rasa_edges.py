"""Issue 17, "reachable by anyone who can reach the machine": the Rasa server's REST channel and
the action server, as this product runs them. Sanic apps served in-process through httpx's ASGI
transport (no Rasa model, no ports)."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from sanic import Sanic

from bot import paths
from connectors.limits import MESSAGE_LIMIT, MESSAGES_PER_MINUTE
from connectors.rest import RestInput, namespaced
from connectors.serve_rasa import rasa_argv

Sanic.test_mode = True  # several apps of one name in one test process
ZALO_CITIZEN = "2512523625412515"


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str, object]] = []

    async def __call__(self, message) -> None:
        self.seen.append((message.sender_id, message.text, message.input_channel, message.metadata))
        await message.output_channel.send_text_message(message.sender_id, "Đã nhận")


def _serve(channel: RestInput, bot: Recorder, requests):
    app = Sanic(f"rest{id(channel)}")
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/rest")

    async def go():
        await app._startup()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rasa.test") as client:
            return [await request(client) for request in requests]

    return asyncio.run(go())


def _say(sender, text, headers=None, **extra):
    body = json.dumps({"sender": sender, "message": text, **extra})  # ASCII: "\ud800" as JSON writes it
    return lambda client: client.post("/webhooks/rest/webhook", content=body,
                                      headers={"Content-Type": "application/json", **(headers or {})})


def test_a_rest_sender_never_shares_a_zalo_citizens_conversation():
    """Issue 17: a REST message with a Zalo citizen's id opened a ticket that swallowed their Zalo messages."""
    bot = Recorder()
    [response] = _serve(RestInput(), bot, [_say(ZALO_CITIZEN, "gặp cán bộ", input_channel="zalo",
                                                metadata={"zalo": {"app_id": "sim-app"}})])
    assert response.status_code == 200 and response.json() == [{"recipient_id": f"rest:{ZALO_CITIZEN}", "text": "Đã nhận"}]
    assert bot.seen == [(f"rest:{ZALO_CITIZEN}", "gặp cán bộ", "rest", None)]
    assert namespaced("rest:x") == "rest:x" and namespaced(12) == "rest:12"


def test_rest_is_off_with_a_real_zalo_app_unless_a_token_is_set(monkeypatch):
    monkeypatch.setenv("ZALO_APP_ID", "430915720542338")
    monkeypatch.delenv("RASA_REST_TOKEN", raising=False)
    bot = Recorder()
    [off] = _serve(RestInput.from_credentials(None), bot, [_say("a", "xin chào")])
    assert off.status_code == 404 and bot.seen == []

    monkeypatch.setenv("RASA_REST_TOKEN", "rest-secret")
    missing, wrong, right = _serve(RestInput.from_credentials(None), bot, [
        _say("a", "xin chào"), _say("a", "xin chào", {"Authorization": "Bearer nope"}),
        _say("a", "xin chào", {"Authorization": "Bearer rest-secret"})])
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert [s[0] for s in bot.seen] == ["rest:a"]


def test_rest_is_open_for_development_with_the_simulator(monkeypatch):
    monkeypatch.delenv("ZALO_APP_ID", raising=False)
    monkeypatch.delenv("RASA_REST_TOKEN", raising=False)
    channel = RestInput.from_credentials(None)
    assert channel.enabled and not channel.token


def test_rest_caps_a_message_and_cleans_it():
    bot = Recorder()
    long, surrogate, not_text = _serve(RestInput(), bot, [
        _say("b", "x" * (MESSAGE_LIMIT + 1)), _say("b", "\ud800 khai sinh"), _say("b", {"nested": 1})])
    assert long.status_code == 413 and not_text.status_code == 400
    assert surrogate.status_code == 200 and bot.seen == [("rest:b", "\ufffd khai sinh", "rest", None)]


def test_rest_rate_limits_a_sender_not_the_others():
    bot = Recorder()
    responses = _serve(RestInput(), bot, [_say("c", f"câu {n}") for n in range(MESSAGES_PER_MINUTE + 3)] + [_say("d", "chào")])
    codes = [r.status_code for r in responses]
    assert codes == [200] * MESSAGES_PER_MINUTE + [429] * 3 + [200]


# ---- the action server
def _action_server(requests, token: str = "shared-secret"):
    from actions.server import create_app

    app = create_app(token)

    async def go():
        await app._startup()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://actions.test") as client:
            return [await request(client) for request in requests]

    return asyncio.run(go())


FORGED_CALL = {"next_action": "action_does_not_exist", "sender_id": ZALO_CITIZEN, "version": "3.6.2",
               "tracker": {"sender_id": ZALO_CITIZEN, "events": [], "slots": {}, "latest_message": {}}, "domain": {}}


def test_the_action_server_answers_rasa_only():
    """Issue 17: a forged POST :5055/webhook opened a ticket in a real citizen's name."""
    from actions.server import HEADER

    health, forged, wrong, listed, rasa = _action_server([
        lambda c: c.get("/health"),
        lambda c: c.post("/webhook", json=FORGED_CALL),
        lambda c: c.post("/webhook", json=FORGED_CALL, headers={HEADER: "guess"}),
        lambda c: c.get("/actions"),
        lambda c: c.post("/webhook", json=FORGED_CALL, headers={HEADER: "shared-secret"}),
    ])
    assert health.status_code == 200
    assert (forged.status_code, wrong.status_code, listed.status_code) == (401, 401, 401)
    assert rasa.status_code == 404 and rasa.json()["action_name"] == "action_does_not_exist"  # reached rasa_sdk


def test_the_action_server_will_not_start_without_a_secret(monkeypatch):
    from actions import server

    with pytest.raises(ValueError, match="ACTION_SERVER_TOKEN"):
        server.create_app("")
    monkeypatch.delenv("ACTION_SERVER_TOKEN", raising=False)
    with pytest.raises(SystemExit):
        server.main()


def test_the_action_server_listens_on_localhost_by_default(monkeypatch):
    from actions import server

    ran = {}
    monkeypatch.setattr(Sanic, "run", lambda self, host, port, **kw: ran.update(host=host, port=port))
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "s")
    monkeypatch.delenv("ACTIONS_HOST", raising=False)
    monkeypatch.delenv("ACTIONS_PORT", raising=False)
    server.main()
    assert ran == {"host": "127.0.0.1", "port": 5055}


def test_rasas_action_endpoint_carries_the_secret_from_the_environment(monkeypatch):
    from rasa.utils.endpoints import read_endpoint_config

    from actions.server import HEADER

    monkeypatch.setenv("ACTION_SERVER_TOKEN", "from-the-environment")
    monkeypatch.setenv("MODEL_SERVER_TOKEN", "also-needed")  # Rasa expands the whole file
    endpoint = read_endpoint_config(str(paths.ROOT / "endpoints.yml"), "action_endpoint")
    assert endpoint.headers == {HEADER: "from-the-environment"}
    assert endpoint.url.startswith("http://127.0.0.1:")


# ---- the Rasa server's command line
def test_rasa_listens_on_localhost_and_its_token_never_is_on_a_command_line():
    """Issue 17: `--auth-token …` was visible in `ps`."""
    argv = rasa_argv(["--model", "m.tar.gz", "--enable-api"], {"RASA_TOKEN": "t0ken"})
    assert argv[argv.index("--interface") + 1] == "127.0.0.1" and argv[argv.index("--auth-token") + 1] == "t0ken"
    assert rasa_argv([], {"RASA_HOST": "10.0.0.5"})[-1] == "10.0.0.5"
    for started_by in (Path(paths.ROOT / "scripts/run.sh"), Path(paths.ROOT / "bot/stack.py")):
        text = started_by.read_text(encoding="utf-8")
        assert "--auth-token" not in text and "connectors.serve_rasa" in text and "actions.server" in text


def test_run_sh_waits_on_a_route_that_needs_no_token():
    """Issue 17: it waited on /status, which needs the token: 120 s and 120 refusals each start."""
    text = (paths.ROOT / "scripts/run.sh").read_text(encoding="utf-8")
    assert "5005/status" not in text and "5005/webhooks/zalo/" in text

"""The gateway's hand-over of one citizen text to Rasa's Zalo channel, and back."""
import asyncio
import json

import httpx
import pytest

from connectors.zalo import turns
from connectors.zalo.signature import GATEWAY_HEADER, gateway_signature, verify_gateway_signature
from connectors.zalo.turns import BotTurn, BotUnavailable, RasaTurnClient


class Collected:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list | None]] = []

    async def send_text_message(self, recipient_id, text, **kwargs):
        self.sent.append((text, None))

    async def send_text_with_buttons(self, recipient_id, text, buttons, **kwargs):
        self.sent.append((text, buttons))


def _client(handler) -> RasaTurnClient:
    return RasaTurnClient("http://rasa.test", "sim-oa-secret", http=httpx.AsyncClient(transport=httpx.MockTransport(handler)))


def test_a_turn_is_signed_and_its_replies_replayed_in_order_with_buttons():
    seen = []

    def rasa(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"messages": [
            {"recipient_id": "u1", "text": "Ý anh/chị là…?", "buttons": [{"title": "A", "payload": "/a"}]},
            {"recipient_id": "u1", "text": "Cần gì thêm cứ hỏi."},
        ]})

    out = Collected()
    asyncio.run(_client(rasa)(BotTurn("lam cccd", out, "u1", message_id="m1", metadata={"zalo": {"msg_id": "m1"}})))
    request = seen[0]
    assert request.url.path == turns.TURN_PATH
    assert verify_gateway_signature(request.headers[GATEWAY_HEADER], request.content, "sim-oa-secret")
    assert json.loads(request.content)["text"] == "lam cccd"
    assert out.sent == [("Ý anh/chị là…?", [{"title": "A", "payload": "/a"}]), ("Cần gì thêm cứ hỏi.", None)]


def test_rasa_restarting_is_waited_for_then_the_turn_runs(monkeypatch):
    monkeypatch.setattr(turns, "CONNECT_BACKOFF_SECONDS", 0.0)
    calls = []

    def rasa(request):
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("connection refused")
        if len(calls) == 2:
            return httpx.Response(503, json={"error": "no model loaded yet"})
        return httpx.Response(200, json={"messages": [{"text": "Xin chào"}]})

    out = Collected()
    asyncio.run(_client(rasa)(BotTurn("chào", out, "u1")))
    assert out.sent == [("Xin chào", None)] and len(calls) == 3


def test_rasa_away_for_good_raises_so_the_event_stays_unhandled(monkeypatch):
    monkeypatch.setattr(turns, "CONNECT_BACKOFF_SECONDS", 0.0)

    def rasa(request):
        raise httpx.ConnectError("connection refused")

    with pytest.raises(BotUnavailable, match="unreachable"):
        asyncio.run(_client(rasa)(BotTurn("chào", Collected(), "u1")))


def test_a_refused_turn_is_an_error_not_an_empty_answer():
    with pytest.raises(BotUnavailable, match="401"):
        asyncio.run(_client(lambda r: httpx.Response(401, json={"error": "bad gateway signature"}))(BotTurn("chào", Collected(), "u1")))


def test_gateway_signature_is_checked_in_constant_time_against_the_body():
    body = b'{"sender": "u1", "text": "x"}'
    good = gateway_signature(body, "k")
    assert verify_gateway_signature(good, body, "k")
    assert not verify_gateway_signature(good, body + b" ", "k")
    assert not verify_gateway_signature(None, body, "k")
    assert not verify_gateway_signature(good, body, "")

"""Buttons on CS messages as Zalo's buttons appendix has them: checked on /message/cs with Zalo's
error codes, kept on the message, and a tap sent back as the citizen's `user_send_text`."""
from __future__ import annotations

import json

import pytest

from connectors.zalo.api import ZaloButton

pytestmark = pytest.mark.anyio

SEND_URL = "/zalo-sim/openapi/v3.0/oa/message/cs"
API = "/zalo-sim/api"
HEADERS = {"access_token": "sim-access-0"}
CLARIFY = "Ý anh/chị là…?\n1. Đăng ký khai sinh\n2. Gặp cán bộ"


def _template(*buttons: dict) -> dict:
    return {"type": "template", "payload": {"buttons": list(buttons)}}


def _query(title: str = "Đăng ký khai sinh", payload: str = "1", kind: str = "oa.query.show") -> dict:
    return {"title": title, "type": kind, "payload": payload}


async def _send(client, user_id: str, attachment: object, text: str = CLARIFY) -> dict:
    body = {"recipient": {"user_id": user_id}, "message": {"text": text, "attachment": attachment}}
    return (await client.post(SEND_URL, content=json.dumps(body).encode(), headers=HEADERS)).json()


async def test_the_connectors_buttons_are_accepted_and_kept_on_the_message(make_citizen, client):
    citizen = await make_citizen()
    attachment = _template(*(b.to_json() for b in [ZaloButton("Đăng ký khai sinh", "1"), ZaloButton("Gặp cán bộ", "gặp cán bộ")]))

    answer = await _send(client, citizen["user_id"], attachment)

    assert answer["error"] == 0
    [sent] = (await client.get(f"{API}/oa-messages", params={"user_id": citizen["user_id"]})).json()["messages"]
    assert sent["text"] == CLARIFY and sent["attachments"] == [attachment]


async def test_every_documented_button_type_is_accepted(make_citizen, client):
    citizen = await make_citizen()
    attachment = _template(
        {"title": "Cổng dịch vụ công", "type": "oa.open.url", "payload": {"url": "https://dichvucong.gov.vn"}},
        _query("Xem căn cứ", "xem căn cứ"),
        _query("Bỏ qua", "#bo-qua", "oa.query.hide"),
        {"title": "Nhắn tin", "type": "oa.open.sms", "payload": {"content": "Xin chào", "phone_code": "0912345678"}},
        {"title": "Gọi UBND", "type": "oa.open.phone", "payload": {"phone_code": "0912345678"}},
    )

    assert (await _send(client, citizen["user_id"], attachment))["error"] == 0


@pytest.mark.parametrize(
    ("attachment", "error", "message"),
    [
        ("buttons", -201, "attachment is invalid!"),
        ({"type": "image", "payload": {"url": "https://x"}}, -201, "attachment is invalid!"),
        ({"type": "template"}, -201, "payload is invalid!"),
        ({"type": "template", "payload": {"template_type": "media", "elements": []}}, -201,
         "template_type is invalid! (the simulator takes only the buttons template)"),
        (_template(), -201, "buttons is invalid!"),
        ({"type": "template", "payload": {"buttons": "1"}}, -201, "buttons is invalid!"),
        (_template("1"), -201, "buttons is invalid!"),
        (_template({"type": "oa.query.show", "payload": "1"}), -201, "title is invalid!"),
        (_template(_query(kind="oa.query.click")), -201, "type is invalid!"),
        (_template(_query(payload="")), -201, "payload is invalid!"),
        (_template(_query(payload={"text": "1"})), -201, "payload is invalid!"),
        (_template({"title": "Mở", "type": "oa.open.url", "payload": {"url": "javascript:alert(1)"}}), -201, "url is invalid!"),
        (_template({"title": "Gọi", "type": "oa.open.phone", "payload": {}}), -201, "phone_code is invalid!"),
        (_template(*[_query(payload=str(i)) for i in range(6)]), -210, "buttons: at most 5"),
        (_template(_query(title="T" * 101)), -210, "title: at most 100 characters"),
        (_template(_query(payload="p" * 1001)), -210, "payload: at most 1000 characters"),
        (_template({"title": "SMS", "type": "oa.open.sms", "payload": {"content": "c" * 161, "phone_code": "09"}}), -210,
         "content: at most 160 characters"),
    ],
)
async def test_a_wrong_attachment_gets_zalos_error_and_is_not_shown(make_citizen, client, attachment, error, message):
    citizen = await make_citizen()

    assert await _send(client, citizen["user_id"], attachment) == {"error": error, "message": message}
    assert (await client.get(f"{API}/oa-messages", params={"user_id": citizen["user_id"]})).json()["messages"] == []


async def test_the_limits_themselves_are_accepted(make_citizen, client):
    citizen = await make_citizen()
    attachment = _template(*[_query(title="T" * 100, payload=f"{i}" + "p" * 999) for i in range(5)])

    assert (await _send(client, citizen["user_id"], attachment))["error"] == 0


async def _oa_message_with_buttons(client, make_citizen):
    citizen = await make_citizen()
    attachment = _template(_query("Đăng ký khai sinh", "1"), _query("Gặp cán bộ", "gặp cán bộ", "oa.query.hide"),
                           {"title": "Cổng", "type": "oa.open.url", "payload": {"url": "https://dichvucong.gov.vn"}})
    answer = await _send(client, citizen["user_id"], attachment)
    return citizen, answer["data"]["message_id"]


async def test_a_tap_on_a_show_button_sends_its_payload_as_the_citizens_text(make_citizen, client, sim, inbox):
    citizen, msg_id = await _oa_message_with_buttons(client, make_citizen)

    tapped = await client.post(f"{API}/citizens/{citizen['user_id']}/button-taps", json={"msg_id": msg_id, "index": 0})
    await sim.webhook.wait_idle()

    assert tapped.status_code == 201
    assert (tapped.json()["text"], tapped.json()["direction"], tapped.json()["shown_to_citizen"]) == ("1", "citizen_to_oa", True)
    event = inbox.events("user_send_text")[-1]
    assert event["sender"] == {"id": citizen["user_id"]}
    assert event["message"] == {"text": "1", "msg_id": tapped.json()["msg_id"]}


async def test_a_tap_on_a_hide_button_reaches_the_oa_but_is_hidden_from_the_citizen(make_citizen, client, sim, inbox):
    citizen, msg_id = await _oa_message_with_buttons(client, make_citizen)

    tapped = (await client.post(f"{API}/citizens/{citizen['user_id']}/button-taps", json={"msg_id": msg_id, "index": 1})).json()
    await sim.webhook.wait_idle()

    assert (tapped["text"], tapped["shown_to_citizen"]) == ("gặp cán bộ", False)
    assert inbox.events("user_send_text")[-1]["message"]["text"] == "gặp cán bộ"
    conversation = (await client.get(f"{API}/citizens/{citizen['user_id']}/conversation")).json()["messages"]
    assert [m["shown_to_citizen"] for m in conversation] == [True, True, False]


@pytest.mark.parametrize("index", [2, 3, -1])
async def test_only_a_query_button_of_an_oa_message_can_be_tapped(make_citizen, client, sim, inbox, index):
    citizen, msg_id = await _oa_message_with_buttons(client, make_citizen)
    await sim.webhook.wait_idle()
    before = len(inbox.events("user_send_text"))

    tapped = await client.post(f"{API}/citizens/{citizen['user_id']}/button-taps", json={"msg_id": msg_id, "index": index})
    unknown = await client.post(f"{API}/citizens/{citizen['user_id']}/button-taps", json={"msg_id": "nope", "index": 0})

    assert tapped.status_code == unknown.status_code == 404
    await sim.webhook.wait_idle()
    assert len(inbox.events("user_send_text")) == before


async def test_the_chat_page_draws_buttons_and_taps_them(client):
    script = (await client.get("/zalo-sim/static/chat.js")).text
    assert "button-taps" in script and "oa-buttons" in script and "shown_to_citizen" in script

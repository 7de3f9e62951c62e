"""Events posted to the webhook: signed raw bodies, documented shapes, retries and duplicates."""
from __future__ import annotations

import hashlib
import socket

import httpx
import pytest

from bot.zalo_sim.settings import Settings
from bot.zalo_sim.simulator import Simulator
from connectors.zalo.signature import verify_signature

pytestmark = pytest.mark.anyio

API = "/zalo-sim/api"


def unreachable_url() -> str:
    """A 127.0.0.1 URL where nothing listens: the port was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhooks/zalo/webhook"


async def test_every_posted_event_is_signed_over_its_raw_body(make_citizen, client, sim, inbox):
    citizen = await make_citizen(says="Cho hỏi làm căn cước ở đâu?")
    await client.post(f"{API}/citizens/{citizen['user_id']}/follow")
    await sim.webhook.wait_idle()

    assert len(inbox.requests) == 2
    for request, event in zip(inbox.requests, inbox.events()):
        header = request.headers["X-ZEvent-Signature"]
        assert header.startswith("mac=")
        assert request.headers["content-type"] == "application/json"
        assert verify_signature(header, "sim-app", request.content, event["timestamp"], "sim-oa-secret")
        assert not verify_signature(header, "sim-app", request.content, event["timestamp"], "sim-app-secret")
    # Vietnamese is sent as UTF-8, not as \\u escapes.
    assert "Cho hỏi làm căn cước ở đâu?".encode() in inbox.requests[0].content


async def test_user_send_text_has_the_documented_fields(make_citizen, client, sim, inbox):
    citizen = await make_citizen(says=None)

    message = (await client.post(f"{API}/citizens/{citizen['user_id']}/messages", json={"text": "Xin chào UBND"})).json()
    await sim.webhook.wait_idle()

    [event] = inbox.events()
    assert event == {
        "app_id": "sim-app",
        "sender": {"id": citizen["user_id"]},
        "user_id_by_app": citizen["user_id_by_app"],
        "recipient": {"id": "sim-oa"},
        "event_name": "user_send_text",
        "message": {"text": "Xin chào UBND", "msg_id": message["msg_id"]},
        "timestamp": str(message["timestamp_ms"]),
    }
    assert event["timestamp"].isdigit() and len(event["timestamp"]) == 13


@pytest.mark.parametrize(
    ("attachment", "event_name", "expected"),
    [
        ({"type": "sticker", "sticker_id": "cam-on"}, "user_send_sticker",
         {"type": "sticker", "payload": {"id": "cam-on", "url": "http://sim.test/zalo-sim/media/sticker/cam-on.svg"}}),
        ({"type": "image"}, "user_send_image",
         {"type": "image", "payload": {"thumbnail": "http://sim.test/zalo-sim/media/image/giay-to-mau.svg",
                                       "url": "http://sim.test/zalo-sim/media/image/giay-to-mau.svg"}}),
        ({"type": "location", "latitude": 10.7769, "longitude": 106.7009}, "user_send_location",
         {"type": "location", "payload": {"coordinates": {"latitude": "10.7769", "longitude": "106.7009"}}}),
        ({"type": "file"}, "user_send_file",
         {"type": "file", "payload": {"name": "to-khai-mau.txt", "type": "txt",
                                      "url": "http://sim.test/zalo-sim/media/file/to-khai-mau.txt"}}),
    ],
)
async def test_attachments_arrive_as_documented(make_citizen, client, sim, inbox, attachment, event_name, expected):
    citizen = await make_citizen(says=None)

    message = (await client.post(f"{API}/citizens/{citizen['user_id']}/attachments", json=attachment)).json()
    await sim.webhook.wait_idle()

    [event] = inbox.events()
    [sent] = event["message"].pop("attachments")
    assert event["event_name"] == event_name
    assert event["sender"] == {"id": citizen["user_id"]}
    assert event["message"] == {"text": "", "msg_id": message["msg_id"]}
    if sent["type"] == "location":
        assert sent == expected
        return
    served = await client.get(sent["payload"]["url"])
    assert served.status_code == 200
    if sent["type"] == "file":
        # Size and MD5 describe the file behind the URL.
        assert sent["payload"].pop("size") == str(len(served.content))
        assert sent["payload"].pop("checksum") == hashlib.md5(served.content).hexdigest()
    assert sent == expected


@pytest.mark.parametrize("event_name", ["follow", "unfollow"])
async def test_follow_and_unfollow_carry_follower_id(make_citizen, client, sim, inbox, event_name):
    citizen = await make_citizen(says=None)
    await client.post(f"{API}/citizens/{citizen['user_id']}/follow")
    if event_name == "unfollow":
        await client.post(f"{API}/citizens/{citizen['user_id']}/unfollow")
    await sim.webhook.wait_idle()

    event = inbox.events()[-1]
    assert event == {
        "oa_id": "sim-oa",
        "follower": {"id": citizen["user_id"]},
        "user_id_by_app": citizen["user_id_by_app"],
        "event_name": event_name,
        "source": "oa_profile",
        "app_id": "sim-app",
        "timestamp": event["timestamp"],
    }


async def test_following_counts_as_an_interaction_and_is_reported_once(make_citizen, client, send_cs, sim, inbox):
    citizen = await make_citizen(says=None)

    await client.post(f"{API}/citizens/{citizen['user_id']}/follow")
    await client.post(f"{API}/citizens/{citizen['user_id']}/follow")
    await sim.webhook.wait_idle()

    assert [e["event_name"] for e in inbox.events()] == ["follow"]
    assert (await send_cs(citizen["user_id"], "Cảm ơn anh/chị đã quan tâm")).json()["error"] == 0


async def test_chatnow_and_withdraw_carry_user_id(make_citizen, client, sim, inbox):
    citizen = await make_citizen(says=None)

    await client.post(f"{API}/citizens/{citizen['user_id']}/chatnow")
    await client.post(f"{API}/citizens/{citizen['user_id']}/withdraw")
    await sim.webhook.wait_idle()

    chatnow, withdraw = inbox.events()
    common = {"user_id": citizen["user_id"], "user_id_by_app": citizen["user_id_by_app"], "oa_id": "sim-oa", "app_id": "sim-app"}
    assert chatnow == {**common, "event_name": "user_click_chatnow", "timestamp": chatnow["timestamp"]}
    assert withdraw == {**common, "event_name": "user_withdraw", "timestamp": withdraw["timestamp"]}


async def test_an_officer_message_is_posted_with_admin_id(make_citizen, client, sim, inbox):
    citizen = await make_citizen(says=None)

    message = (await client.post(f"{API}/citizens/{citizen['user_id']}/officer-messages",
                                 json={"text": "Chào chị, tôi là cán bộ tư pháp."})).json()
    await sim.webhook.wait_idle()

    [event] = inbox.events()
    assert event["event_name"] == "oa_send_text"
    assert event["sender"] == {"id": "sim-oa", "admin_id": "4267886274574868951"}
    assert event["recipient"] == {"id": citizen["user_id"]}
    assert event["message"] == {"text": "Chào chị, tôi là cán bộ tư pháp.", "msg_id": message["msg_id"]}
    assert message["from_admin"] is True


async def test_an_unreachable_webhook_is_retried_on_schedule_then_disabled():
    sim = Simulator(Settings(webhook_url=unreachable_url(), retry_schedule=(0.05, 0.1)))
    citizen = sim.create_citizen("Lê Hoàng Nam")

    sim.citizen_sends_text(citizen.user_id, "Alô")
    await sim.webhook.wait_idle()
    sim.citizen_sends_text(citizen.user_id, "Có ai không?")

    first, second = sim.webhook.deliveries
    assert [a.num_retry for a in first.attempts] == [0, 1, 2]
    gaps = [later.sent_at - earlier.sent_at for earlier, later in zip(first.attempts, first.attempts[1:])]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1
    assert all(a.status_code is None and a.error.startswith("connection failed") for a in first.attempts)
    assert not first.delivered
    assert sim.webhook.disabled
    assert second.skipped and second.attempts == []


async def test_a_retry_resends_the_identical_body_with_num_retry(settings):
    seen: list[httpx.Request] = []

    def refuse_twice(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) <= 2:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200)

    sim = Simulator(settings, transport=httpx.MockTransport(refuse_twice))
    citizen = sim.create_citizen()

    sim.citizen_sends_text(citizen.user_id, "Cho hỏi giờ làm việc")
    await sim.webhook.wait_idle()

    assert [r.headers.get("num_retry") for r in seen] == [None, "1", "2"]
    assert len({r.content for r in seen}) == 1
    assert len({r.headers["X-ZEvent-Signature"] for r in seen}) == 1
    [delivery] = sim.webhook.deliveries
    assert delivery.delivered and [a.status_code for a in delivery.attempts] == [None, None, 200]


async def test_an_error_answer_is_recorded_but_not_retried(make_citizen, client, sim, inbox):
    inbox.status_code = 500

    await make_citizen()
    await sim.webhook.wait_idle()

    assert len(inbox.requests) == 1
    deliveries = (await client.get(f"{API}/webhook")).json()["deliveries"]
    assert [(d["delivered"], [a["status_code"] for a in d["attempts"]]) for d in deliveries] == [(False, [500])]


async def test_the_duplicate_switch_delivers_the_next_event_twice(make_citizen, client, sim, inbox):
    citizen = await make_citizen(says=None)
    await client.post(f"{API}/switches/duplicate-deliveries", json={"count": 1})

    await client.post(f"{API}/citizens/{citizen['user_id']}/messages", json={"text": "Cho hỏi"})
    await client.post(f"{API}/citizens/{citizen['user_id']}/messages", json={"text": "Cảm ơn"})
    await sim.webhook.wait_idle()

    first, duplicate, next_event = inbox.requests
    assert first.content == duplicate.content
    assert first.headers["X-ZEvent-Signature"] == duplicate.headers["X-ZEvent-Signature"]
    assert "num_retry" not in duplicate.headers
    assert inbox.events()[2]["message"]["text"] == "Cảm ơn"
    assert [d.duplicate for d in sim.webhook.deliveries] == [False, True, False]


async def test_deliveries_record_status_and_latency(make_citizen, client, sim):
    await make_citizen()
    await sim.webhook.wait_idle()

    webhook = (await client.get(f"{API}/webhook")).json()

    assert webhook["url"] == "http://bot.test/webhooks/zalo/webhook"
    [delivery] = webhook["deliveries"]
    assert delivery["event_name"] == "user_send_text" and delivery["delivered"]
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] == 200 and attempt["num_retry"] == 0 and attempt["latency_ms"] >= 0


async def test_subscribing_again_turns_a_disabled_webhook_back_on(client, sim, inbox):
    sim.webhook.disabled = True

    response = await client.post(f"{API}/webhook", json={"url": "http://bot.test/other"})
    citizen = sim.create_citizen()
    sim.citizen_sends_text(citizen.user_id, "Alô")
    await sim.webhook.wait_idle()

    assert response.json()["disabled"] is False
    assert [str(r.url) for r in inbox.requests] == ["http://bot.test/other"]

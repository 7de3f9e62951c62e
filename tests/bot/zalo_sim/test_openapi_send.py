"""`POST v3.0/oa/message/cs`: shapes, error codes, the 48 h reply quota and the 7-day window."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.anyio

SEND_URL = "/zalo-sim/openapi/v3.0/oa/message/cs"
API = "/zalo-sim/api"


async def test_send_succeeds_with_the_documented_shape(make_citizen, send_cs, client):
    citizen = await make_citizen()

    response = await send_cs(citizen["user_id"], "Dạ, chào anh/chị.")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "error": 0,
        "message": "Success",
        "data": {
            "message_id": body["data"]["message_id"],
            "user_id": citizen["user_id"],
            "quota": {"quota_type": "reply", "remain": "7", "total": "8"},
        },
    }
    sent = (await client.get(f"{API}/oa-messages", params={"user_id": citizen["user_id"]})).json()["messages"]
    assert [(m["msg_id"], m["text"], m["from_admin"]) for m in sent] == [(body["data"]["message_id"], "Dạ, chào anh/chị.", False)]


async def test_reply_quota_counts_down_from_8_then_messages_are_charged(make_citizen, send_cs):
    citizen = await make_citizen()

    quotas = [(await send_cs(citizen["user_id"])).json()["data"].get("quota") for _ in range(9)]

    assert [q["remain"] for q in quotas[:8]] == ["7", "6", "5", "4", "3", "2", "1", "0"]
    assert quotas[8] is None


async def test_a_new_message_from_the_citizen_restores_the_free_replies(make_citizen, send_cs, client):
    citizen = await make_citizen()
    for _ in range(3):
        await send_cs(citizen["user_id"])

    await client.post(f"{API}/citizens/{citizen['user_id']}/messages", json={"text": "Cho hỏi thêm"})

    assert (await send_cs(citizen["user_id"])).json()["data"]["quota"]["remain"] == "7"


@pytest.mark.parametrize(
    ("days_ago", "expected"),
    [
        (1.9, {"error": 0, "quota": True}),
        (3, {"error": 0, "quota": False}),
        (6.9, {"error": 0, "quota": False}),
        (8, {"error": -230, "message": "User has not interacted with the OA in the past 7 days"}),
    ],
)
async def test_the_interaction_window_decides_free_charged_or_refused(make_citizen, send_cs, client, days_ago, expected):
    citizen = await make_citizen()
    await client.post(f"{API}/switches/last-interaction", json={"user_id": citizen["user_id"], "days_ago": days_ago})

    body = (await send_cs(citizen["user_id"])).json()

    assert body["error"] == expected["error"]
    if body["error"] == 0:
        assert ("quota" in body["data"]) is expected["quota"]
    else:
        assert body == expected


async def test_a_citizen_who_never_interacted_cannot_be_messaged(make_citizen, send_cs):
    citizen = await make_citizen(says=None)

    body = (await send_cs(citizen["user_id"])).json()

    assert body == {"error": -232, "message": "User has not interacted with the OA, or the last interaction has expired"}


async def test_an_unknown_user_id_is_invalid(send_cs):
    body = (await send_cs("1234567890123456789")).json()

    assert body == {"error": -201, "message": "user_id is invalid!"}


@pytest.mark.parametrize(("length", "error"), [(2000, 0), (2001, -210)])
async def test_text_is_limited_to_2000_characters(make_citizen, send_cs, length, error):
    citizen = await make_citizen()

    response = await send_cs(citizen["user_id"], "ạ" * length)

    assert response.status_code == 200
    assert response.json()["error"] == error
    if error:
        assert response.json()["message"] == "Parameter exceeds allowable limit"


@pytest.mark.parametrize(
    ("make_body", "field"),
    [
        (lambda uid: b"{not json", "body"),
        (lambda uid: [], "body"),
        (lambda uid: {"message": {"text": "x"}}, "recipient"),
        (lambda uid: {"recipient": {"id": uid}, "message": {"text": "x"}}, "recipient"),
        (lambda uid: {"recipient": {"user_id": uid}}, "message"),
        (lambda uid: {"recipient": {"user_id": uid}, "message": {}}, "text"),
        (lambda uid: {"recipient": {"user_id": uid}, "message": {"text": 12}}, "text"),
        (lambda uid: {"recipient": {"user_id": uid}, "message": {"text": "  "}}, "text"),
    ],
)
async def test_a_malformed_body_gets_201_naming_the_field(make_citizen, client, make_body, field):
    citizen = await make_citizen()
    body = make_body(citizen["user_id"])
    content = body if isinstance(body, bytes) else json.dumps(body).encode()

    response = await client.post(SEND_URL, content=content, headers={"access_token": "sim-access-0"})

    assert response.status_code == 200
    assert response.json() == {"error": -201, "message": f"{field} is invalid!"}


async def test_a_numeric_user_id_is_accepted(make_citizen, client):
    citizen = await make_citizen()
    body = {"recipient": {"user_id": int(citizen["user_id"])}, "message": {"text": "Dạ"}}

    response = await client.post(SEND_URL, json=body, headers={"access_token": "sim-access-0"})

    assert response.json()["error"] == 0


@pytest.mark.parametrize("token", [None, "", "sim-access-unknown", "Bearer sim-access-0"])
async def test_a_missing_or_unknown_access_token_gets_216(make_citizen, send_cs, token):
    citizen = await make_citizen()

    response = await send_cs(citizen["user_id"], token=token)

    assert response.status_code == 200
    assert response.json() == {"error": -216, "message": "Access token is invalid"}


async def test_an_expired_access_token_gets_220(make_citizen, send_cs, client):
    citizen = await make_citizen()
    assert (await send_cs(citizen["user_id"])).json()["error"] == 0

    await client.post(f"{API}/switches/expire-tokens")

    assert (await send_cs(citizen["user_id"])).json() == {"error": -220, "message": "access_token is expired or removed"}


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (-32, "Your application reached limit call api"),
        (-216, "Access token is invalid"),
        (-230, "User has not interacted with the OA in the past 7 days"),
    ],
)
async def test_the_fail_switch_fails_the_next_n_sends_then_sends_again(make_citizen, send_cs, client, error, message):
    citizen = await make_citizen()

    switched = await client.post(f"{API}/switches/fail-sends", json={"count": 2, "error": error})
    failures = [(await send_cs(citizen["user_id"])) for _ in range(2)]
    after = await send_cs(citizen["user_id"])

    assert switched.json()["send_failure"] == {"remaining": 2, "error": error, "http_status": None}
    assert [(r.status_code, r.json()) for r in failures] == [(200, {"error": error, "message": message})] * 2
    assert after.json()["error"] == 0
    # A refused send does not reach the citizen nor spend free replies.
    assert after.json()["data"]["quota"]["remain"] == "7"


async def test_the_fail_switch_can_answer_http_500(make_citizen, send_cs, client):
    citizen = await make_citizen()
    await client.post(f"{API}/switches/fail-sends", json={"count": 1, "http_status": 500})

    failed = await send_cs(citizen["user_id"])

    assert failed.status_code == 500
    assert (await send_cs(citizen["user_id"])).json()["error"] == 0


async def test_the_fail_switch_needs_exactly_one_kind_of_failure(client):
    neither = await client.post(f"{API}/switches/fail-sends", json={"count": 1})
    both = await client.post(f"{API}/switches/fail-sends", json={"count": 1, "error": -32, "http_status": 500})

    assert (neither.status_code, both.status_code) == (422, 422)


async def test_a_successful_send_is_echoed_as_oa_send_text_without_admin_id(make_citizen, send_cs, sim, inbox):
    citizen = await make_citizen()

    data = (await send_cs(citizen["user_id"], "1. Căn cước\n2. Khai sinh")).json()["data"]
    await sim.webhook.wait_idle()

    [echo] = inbox.events("oa_send_text")
    assert echo == {
        "app_id": "sim-app",
        "sender": {"id": "sim-oa"},
        "recipient": {"id": citizen["user_id"]},
        "event_name": "oa_send_text",
        "message": {"text": "1. Căn cước\n2. Khai sinh", "msg_id": data["message_id"]},
        "user_id_by_app": citizen["user_id_by_app"],
        "timestamp": echo["timestamp"],
    }


async def test_a_failed_send_is_not_echoed(make_citizen, send_cs, sim, inbox):
    citizen = await make_citizen()

    await send_cs(citizen["user_id"], "ạ" * 2001)
    await sim.webhook.wait_idle()

    assert inbox.events("oa_send_text") == []

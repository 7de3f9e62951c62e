"""`GET v2.0/oa/conversation`: Zalo's own record of what passed between the OA and one citizen,
newest first; a worker that died mid-send asks it whether its reply went out."""
from __future__ import annotations

import json

import pytest

from connectors.zalo.api import ZaloApiClient
from tests.bot.zalo_sim.conftest import SEND_URL, TOKEN
from tests.connectors.zalo.conftest import FakeTokens

pytestmark = pytest.mark.anyio

URL = "/zalo-sim/openapi/v2.0/oa/conversation"


def _query(user_id: str, count: int = 10, offset: int = 0) -> dict[str, str]:
    return {"data": json.dumps({"user_id": user_id, "offset": offset, "count": count})}


async def test_the_conversation_is_newest_first_with_who_sent_each(make_citizen, client):
    citizen = await make_citizen("Trần Văn Ba", says="cho hỏi giờ làm việc")
    user = citizen["user_id"]
    await client.post(SEND_URL, headers={"access_token": TOKEN},
                      json={"recipient": {"user_id": user}, "message": {"text": "Sáng 7h30–11h30."}})

    body = (await client.get(URL, params=_query(user), headers={"access_token": TOKEN})).json()

    assert body["error"] == 0
    assert [(m["src"], m["message"]) for m in body["data"]] == [(0, "Sáng 7h30–11h30."), (1, "cho hỏi giờ làm việc")]
    assert body["data"][0]["time"] >= body["data"][1]["time"]
    assert all(m["message_id"] for m in body["data"])


async def test_more_than_ten_a_wrong_token_or_an_unknown_citizen_is_an_error(make_citizen, client):
    citizen = await make_citizen()
    over = (await client.get(URL, params=_query(citizen["user_id"], count=11), headers={"access_token": TOKEN})).json()
    assert over["error"] == -210
    assert (await client.get(URL, params=_query(citizen["user_id"]), headers={"access_token": "wrong"})).json()["error"] != 0
    assert (await client.get(URL, params=_query("404"), headers={"access_token": TOKEN})).json()["error"] == -201
    assert (await client.get(URL, params={"data": "{"}, headers={"access_token": TOKEN})).json()["error"] == -201


async def test_the_oa_client_reads_the_simulators_conversation(make_citizen, client):
    citizen = await make_citizen()
    await client.post(SEND_URL, headers={"access_token": TOKEN},
                      json={"recipient": {"user_id": citizen["user_id"]}, "message": {"text": "Đã nhận."}})
    api = ZaloApiClient("http://sim.test/zalo-sim/openapi", FakeTokens(TOKEN, TOKEN), http=client)

    newest, oldest = await api.recent_messages(citizen["user_id"])

    assert (newest.from_oa, newest.text) == (True, "Đã nhận.") and newest.message_id and newest.time_ms > 0
    assert (oldest.from_oa, oldest.text) == (False, "Xin chào")

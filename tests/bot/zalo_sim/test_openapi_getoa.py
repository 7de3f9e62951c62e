"""`GET v2.0/oa/getoa`: the OA's profile with `num_follower`, read by the report's daily snapshot (issue 18)."""
from __future__ import annotations

import pytest

from connectors.zalo.api import ZaloApiClient
from tests.connectors.zalo.conftest import FakeTokens

pytestmark = pytest.mark.anyio

GETOA_URL = "/zalo-sim/openapi/v2.0/oa/getoa"


async def test_getoa_counts_the_citizens_following_now(make_citizen, client):
    first, second = await make_citizen("Lê Văn Một"), await make_citizen("Lê Thị Hai")
    await client.post(f"/zalo-sim/api/citizens/{first['user_id']}/follow")
    await client.post(f"/zalo-sim/api/citizens/{second['user_id']}/follow")
    await client.post(f"/zalo-sim/api/citizens/{second['user_id']}/unfollow")

    body = (await client.get(GETOA_URL, headers={"access_token": "sim-access-0"})).json()

    assert body["error"] == 0
    assert body["data"]["num_follower"] == 1


async def test_getoa_refuses_a_wrong_access_token(client):
    body = (await client.get(GETOA_URL, headers={"access_token": "wrong"})).json()

    assert body["error"] != 0


async def test_the_oa_client_reads_num_follower_from_the_simulator(make_citizen, client):
    citizen = await make_citizen()
    await client.post(f"/zalo-sim/api/citizens/{citizen['user_id']}/follow")
    api = ZaloApiClient("http://sim.test/zalo-sim/openapi", FakeTokens("sim-access-0", "sim-access-0"), http=client)

    assert await api.follower_count() == 1

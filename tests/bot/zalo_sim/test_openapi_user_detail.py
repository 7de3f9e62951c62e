"""`GET v3.0/oa/user/detail?data={"user_id": ...}` (fact sheet §5)."""
from __future__ import annotations

import json
from datetime import date

import pytest

pytestmark = pytest.mark.anyio

DETAIL_URL = "/zalo-sim/openapi/v3.0/oa/user/detail"
HEADERS = {"access_token": "sim-access-0"}


async def test_detail_returns_the_profile_fields(make_citizen, client):
    citizen = await make_citizen("Trần Thị Bích Ngọc")
    await client.post(f"/zalo-sim/api/citizens/{citizen['user_id']}/follow")

    response = await client.get(DETAIL_URL, params={"data": json.dumps({"user_id": citizen["user_id"]})}, headers=HEADERS)

    body = response.json()
    avatar = body["data"]["avatar"]
    assert body == {
        "error": 0,
        "message": "Success",
        "data": {
            "user_id": citizen["user_id"],
            "user_id_by_app": citizen["user_id_by_app"],
            "user_external_id": "",
            "display_name": "Trần Thị Bích Ngọc",
            "user_alias": "",
            "is_sensitive": False,
            "user_last_interaction_date": date.today().strftime("%d/%m/%Y"),
            "user_is_follower": True,
            "avatar": avatar,
            "avatars": {"120": avatar, "240": avatar},
            "tags_and_notes_info": {"tag_names": [], "notes": []},
        },
    }
    assert "Trần Thị Bích Ngọc".encode() in response.content
    picture = await client.get(avatar)
    assert (picture.status_code, picture.headers["content-type"]) == (200, "image/svg+xml")


async def test_detail_reads_a_url_encoded_numeric_user_id(make_citizen, client):
    citizen = await make_citizen()
    query = "data=%7B%22user_id%22%3A" + citizen["user_id"] + "%7D"

    response = await client.get(f"{DETAIL_URL}?{query}", headers=HEADERS)

    assert response.json()["data"]["user_id"] == citizen["user_id"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"data": json.dumps({"user_id": "1234567890123456789"})}, "user_id"),
        ({"data": json.dumps({})}, "user_id"),
        ({"data": "{not json"}, "data"),
        ({}, "data"),
    ],
)
async def test_detail_of_an_unknown_user_or_bad_data_is_201(client, params, field):
    response = await client.get(DETAIL_URL, params=params, headers=HEADERS)

    assert response.status_code == 200
    assert response.json() == {"error": -201, "message": f"{field} is invalid!"}


async def test_detail_needs_a_valid_access_token(make_citizen, client):
    citizen = await make_citizen()

    response = await client.get(DETAIL_URL, params={"data": json.dumps({"user_id": citizen["user_id"]})},
                                headers={"access_token": "nope"})

    assert response.json() == {"error": -216, "message": "Access token is invalid"}

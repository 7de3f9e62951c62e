"""`POST v4/oa/access_token` with a single-use refresh token (fact sheet §4)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio

TOKEN_URL = "/zalo-sim/oauth/v4/oa/access_token"
SECRET = {"secret_key": "sim-app-secret"}


def refresh_form(refresh_token: str = "sim-refresh-0", **overrides: str) -> dict[str, str]:
    return {"refresh_token": refresh_token, "app_id": "sim-app", "grant_type": "refresh_token", **overrides}


async def test_refresh_returns_a_new_pair_with_expires_in_as_a_string(client, make_citizen, send_cs):
    citizen = await make_citizen()

    response = await client.post(TOKEN_URL, data=refresh_form(), headers=SECRET)

    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"access_token", "refresh_token", "expires_in"}
    assert body["expires_in"] == "90000"
    assert body["refresh_token"] != "sim-refresh-0"
    assert (await send_cs(citizen["user_id"], token=body["access_token"])).json()["error"] == 0


async def test_a_refresh_token_works_only_once(client):
    first = await client.post(TOKEN_URL, data=refresh_form(), headers=SECRET)
    again = await client.post(TOKEN_URL, data=refresh_form(), headers=SECRET)
    chained = await client.post(TOKEN_URL, data=refresh_form(first.json()["refresh_token"]), headers=SECRET)

    assert "access_token" in first.json()
    assert again.json() == {
        "error": -14014,
        "error_name": "Invalid refresh token",
        "error_description": "Refresh token is invalid, expired or has already been used",
    }
    assert "access_token" in chained.json()


async def test_an_unknown_refresh_token_is_refused(client):
    response = await client.post(TOKEN_URL, data=refresh_form("sim-refresh-made-up"), headers=SECRET)

    assert response.json()["error"] == -14014


@pytest.mark.parametrize(
    ("headers", "form", "description"),
    [
        ({}, refresh_form(), "secret_key header is missing or is not the App Secret"),
        ({"secret_key": "sim-oa-secret"}, refresh_form(), "secret_key header is missing or is not the App Secret"),
        (SECRET, refresh_form(app_id="other-app"), "app_id is invalid"),
        (SECRET, refresh_form(grant_type="authorization_code"),
         "grant_type must be refresh_token (the simulator has no consent flow)"),
    ],
)
async def test_a_bad_request_is_refused_without_spending_the_refresh_token(client, headers, form, description):
    refused = await client.post(TOKEN_URL, data=form, headers=headers)
    retried = await client.post(TOKEN_URL, data=refresh_form(), headers=SECRET)

    assert refused.json() == {"error": -14003, "error_name": "Invalid parameter", "error_description": description}
    assert "access_token" in retried.json()


async def test_the_ttl_switch_sets_the_lifetime_of_new_tokens(client, make_citizen, send_cs):
    citizen = await make_citizen()
    await client.post("/zalo-sim/api/switches/token-ttl", json={"seconds": 0})

    pair = (await client.post(TOKEN_URL, data=refresh_form(), headers=SECRET)).json()

    assert pair["expires_in"] == "0"
    assert (await send_cs(citizen["user_id"], token=pair["access_token"])).json()["error"] == -220
    # Tokens issued earlier keep their own expiry.
    assert (await send_cs(citizen["user_id"])).json()["error"] == 0


async def test_after_expiry_a_refresh_brings_sending_back(client, make_citizen, send_cs):
    citizen = await make_citizen()
    await client.post("/zalo-sim/api/switches/expire-tokens")
    assert (await send_cs(citizen["user_id"])).json()["error"] == -220

    pair = (await client.post(TOKEN_URL, data=refresh_form(), headers=SECRET)).json()

    assert (await send_cs(citizen["user_id"], token=pair["access_token"])).json()["error"] == 0


async def test_reset_makes_the_seeded_pair_valid_again(client):
    await client.post(TOKEN_URL, data=refresh_form(), headers=SECRET)

    await client.post("/zalo-sim/api/reset")

    assert "access_token" in (await client.post(TOKEN_URL, data=refresh_form(), headers=SECRET)).json()

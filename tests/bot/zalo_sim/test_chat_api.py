"""The chat page's JSON API and the page itself."""
from __future__ import annotations

import pytest

from bot.zalo_sim.state import CITIZEN_TO_OA, OA_TO_CITIZEN

pytestmark = pytest.mark.anyio

API = "/zalo-sim/api"


async def test_a_new_citizen_has_a_zalo_style_id_and_a_readable_vietnamese_name(client):
    response = await client.post(f"{API}/citizens", json={"display_name": "Phạm Thu Hà"})

    citizen = response.json()
    assert response.status_code == 201
    assert citizen["user_id"].isdigit() and len(citizen["user_id"]) >= 18
    assert citizen["user_id_by_app"].isdigit() and citizen["user_id_by_app"] != citizen["user_id"]
    assert (citizen["display_name"], citizen["is_follower"], citizen["last_interaction"]) == ("Phạm Thu Hà", False, None)
    assert "Phạm Thu Hà".encode() in response.content


async def test_a_citizen_without_a_name_gets_an_unused_vietnamese_one(client):
    names = [(await client.post(f"{API}/citizens", json={})).json()["display_name"] for _ in range(5)]

    assert len(set(names)) == 5
    assert all(len(name.split()) >= 3 for name in names)


async def test_the_conversation_keeps_every_message_in_order(client, make_citizen, send_cs):
    citizen = await make_citizen(says="Cho hỏi làm giấy khai sinh")
    user_id = citizen["user_id"]
    await send_cs(user_id, "Ý anh/chị là…?\n1. Khai sinh đúng hạn\n2. Khai sinh quá hạn")
    await client.post(f"{API}/citizens/{user_id}/officer-messages", json={"text": "Tôi là cán bộ tư pháp."})

    body = (await client.get(f"{API}/citizens/{user_id}/conversation")).json()

    assert body["citizen"]["user_id"] == user_id
    assert [(m["direction"], m["text"], m["from_admin"]) for m in body["messages"]] == [
        (CITIZEN_TO_OA, "Cho hỏi làm giấy khai sinh", False),
        (OA_TO_CITIZEN, "Ý anh/chị là…?\n1. Khai sinh đúng hạn\n2. Khai sinh quá hạn", False),
        (OA_TO_CITIZEN, "Tôi là cán bộ tư pháp.", True),
    ]


async def test_follow_sets_the_follower_flag_and_the_interaction_time(client, make_citizen):
    citizen = await make_citizen(says=None)

    followed = (await client.post(f"{API}/citizens/{citizen['user_id']}/follow")).json()
    unfollowed = (await client.post(f"{API}/citizens/{citizen['user_id']}/unfollow")).json()

    assert followed["is_follower"] is True and followed["last_interaction"] is not None
    assert unfollowed["is_follower"] is False


async def test_an_unknown_citizen_is_404_in_vietnamese(client):
    response = await client.post(f"{API}/citizens/42/messages", json={"text": "Alô"})

    assert response.status_code == 404
    assert response.json() == {"detail": "Không có công dân nào mang user_id 42"}


@pytest.mark.parametrize("text", ["", "   \n "])
async def test_a_blank_message_is_rejected(client, make_citizen, text):
    citizen = await make_citizen(says=None)

    response = await client.post(f"{API}/citizens/{citizen['user_id']}/messages", json={"text": text})

    assert response.status_code == 422


async def test_an_unknown_sticker_is_rejected(client, make_citizen):
    citizen = await make_citizen(says=None)

    response = await client.post(f"{API}/citizens/{citizen['user_id']}/attachments", json={"type": "sticker", "sticker_id": "nope"})

    assert response.status_code == 422


async def test_oa_messages_lists_what_the_oa_sent_to_everyone(client, make_citizen, send_cs):
    an = await make_citizen("Nguyễn Văn An")
    binh = await make_citizen("Trần Văn Bình")
    await send_cs(an["user_id"], "Chào anh An")
    await send_cs(binh["user_id"], "Chào anh Bình")

    messages = (await client.get(f"{API}/oa-messages")).json()["messages"]

    assert [(m["user_id"], m["text"]) for m in messages] == [(an["user_id"], "Chào anh An"), (binh["user_id"], "Chào anh Bình")]


async def test_reset_forgets_citizens_switches_and_deliveries(client, make_citizen, sim):
    await make_citizen()
    await client.post(f"{API}/switches/fail-sends", json={"count": 3, "error": -32})
    await sim.webhook.wait_idle()

    switches = (await client.post(f"{API}/reset")).json()

    assert (await client.get(f"{API}/citizens")).json() == {"citizens": []}
    assert (await client.get(f"{API}/webhook")).json()["deliveries"] == []
    assert switches == {"send_failure": None, "duplicates_pending": 0, "send_failure_rate": 0.0, "duplicate_rate": 0.0,
                        "access_token_ttl": 90000.0, "webhook_disabled": False}


async def test_the_chat_page_is_served_in_vietnamese_with_its_own_assets(client):
    page = await client.get("/zalo-sim/")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    for text in ('lang="vi"', "Quan tâm", "Cán bộ (công cụ chat OA)", 'data-testid="message-input"', ">Gửi<"):
        assert text in html
    # Nothing is fetched from outside the simulator: no CDN, no absolute URL.
    assert "://" not in html
    for asset in ("/zalo-sim/static/chat.css", "/zalo-sim/static/chat.js"):
        assert asset in html
        assert (await client.get(asset)).status_code == 200
    assert (await client.get("/zalo-sim/static/secret.py")).status_code == 404


def test_random_faults_are_reproducible_by_seed():
    from bot.zalo_sim.simulator import Simulator

    def failures(seed):
        sim = Simulator()
        sim.set_random_faults(0.5, 503, 0.0, seed)
        return [sim.random.random() < 0.5 for _ in range(20)]

    assert failures(3) == failures(3)
    assert any(failures(3)) and not all(failures(3))

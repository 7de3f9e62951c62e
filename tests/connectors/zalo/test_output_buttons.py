"""Buttons in Zalo consultation messages: the template attachment of Zalo's buttons appendix on
the phone, the numbered text for Zalo PC/Web, and the text alone when Zalo refuses the buttons."""
import asyncio
import json
import logging

import httpx
import pytest

from connectors.zalo.api import ZaloApiClient, ZaloButton
from connectors.zalo.delivery import deliver
from connectors.zalo.output import ZaloOutput

USER = "2512523625412515"
CLARIFY = "Ý anh/chị là…?\n1. Đăng ký khai sinh\n2. Đăng ký khai sinh có yếu tố nước ngoài\nAnh/chị trả lời bằng số thứ tự."
OPTIONS = [{"title": "Đăng ký khai sinh", "payload": "1"},
           {"title": "Đăng ký khai sinh có yếu tố nước ngoài", "payload": "2"},
           {"title": "Gặp cán bộ", "payload": "gặp cán bộ"}]

ASKED = "Câu trả lời có giúp được anh/chị không? (nhắn “có” hoặc “không”)"


async def _no_sleep(_: float) -> None:
    return None


def _attachment(body: dict) -> dict | None:
    return body["message"].get("attachment")


def test_buttons_go_as_the_appendix_template_with_the_numbered_text(client, fake_zalo, store):
    async def turn():
        output = ZaloOutput(client, store, USER, "user_send_text:e1")
        await output.send_text_with_buttons(USER, CLARIFY, OPTIONS)
        return await output.flush()

    deliveries = asyncio.run(turn())
    assert [d.status for d in deliveries] == ["sent"] and not deliveries[0].buttons_dropped
    [body] = fake_zalo.sent
    assert body["recipient"] == {"user_id": USER}
    assert body["message"]["text"] == CLARIFY + "\n3. Gặp cán bộ"
    assert _attachment(body) == {"type": "template", "payload": {"buttons": [
        {"title": "Đăng ký khai sinh", "type": "oa.query.show", "payload": "1"},
        {"title": "Đăng ký khai sinh có yếu tố nước ngoài", "type": "oa.query.show", "payload": "2"},
        {"title": "Gặp cán bộ", "type": "oa.query.show", "payload": "gặp cán bộ"},
    ]}}
    assert "template_type" not in _attachment(body)["payload"]
    assert [row.text for row in store.outbound(USER)] == [body["message"]["text"]]


def test_a_long_answer_carries_its_buttons_on_its_last_message_only(client, fake_zalo, store):
    answer = "\n\n".join(f"Đoạn {i}: " + "chữ " * 150 for i in range(6))

    async def turn():
        output = ZaloOutput(client, store, USER, None)
        await output.send_text_message(USER, answer)
        await output.send_text_with_buttons(USER, ASKED, [{"title": "Có", "payload": "có"}, {"title": "Không", "payload": "không"}])
        await output.flush()

    asyncio.run(turn())
    assert len(fake_zalo.sent) == 2
    assert _attachment(fake_zalo.sent[0]) is None
    assert [b["payload"] for b in _attachment(fake_zalo.sent[1])["payload"]["buttons"]] == ["có", "không"]
    # The text says what to type; "1. Có" would invite a number that does not mean it.
    assert fake_zalo.sent[1]["message"]["text"].endswith(ASKED)


def test_a_turn_without_buttons_sends_plain_text(client, fake_zalo, store):
    async def turn():
        output = ZaloOutput(client, store, USER, None)
        await output.send_text_message(USER, "Xin chào")
        await output.flush()

    asyncio.run(turn())
    assert fake_zalo.sent == [{"recipient": {"user_id": USER}, "message": {"text": "Xin chào"}}]


class RefusesButtons:
    """A Zalo that refuses any message with an attachment with `code`, and takes plain text."""

    def __init__(self, code: int) -> None:
        self.code = code
        self.bodies: list[dict] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        if "attachment" in body["message"]:
            return httpx.Response(200, json={"error": self.code, "message": "attachment is invalid!"})
        return httpx.Response(200, json={"error": 0, "message": "Success", "data": {"message_id": "m9"}})


@pytest.mark.parametrize("code", [-201, -233])
def test_refused_buttons_are_resent_once_as_plain_text_and_logged(fake_tokens, code, caplog):
    zalo = RefusesButtons(code)
    client = ZaloApiClient("https://openapi.zalo.me", fake_tokens, http=httpx.AsyncClient(transport=httpx.MockTransport(zalo.handler)))
    with caplog.at_level(logging.WARNING, logger="connectors.zalo.delivery"):
        delivery = asyncio.run(deliver(client, USER, CLARIFY, buttons=[ZaloButton("Đăng ký khai sinh", "1")], sleep=_no_sleep))
    assert (delivery.status, delivery.attempts, delivery.message_id, delivery.buttons_dropped) == ("sent", 2, "m9", True)
    assert [("attachment" in b["message"], b["message"]["text"]) for b in zalo.bodies] == [(True, CLARIFY), (False, CLARIFY)]
    assert f"({code}: attachment is invalid!)" in caplog.text and "sending its text alone" in caplog.text


def test_other_refusals_are_not_resent(fake_tokens):
    zalo = RefusesButtons(-213)  # not a follower: the text would be refused too
    client = ZaloApiClient("https://openapi.zalo.me", fake_tokens, http=httpx.AsyncClient(transport=httpx.MockTransport(zalo.handler)))
    delivery = asyncio.run(deliver(client, USER, CLARIFY, buttons=[ZaloButton("Đăng ký khai sinh", "1")], sleep=_no_sleep))
    assert (delivery.status, delivery.error_code, delivery.buttons_dropped) == ("refused", -213, False)
    assert len(zalo.bodies) == 1


def test_plain_text_refused_with_201_is_not_sent_twice(fake_tokens):
    zalo = RefusesButtons(-201)

    def always_refuses(request):
        zalo.bodies.append(json.loads(request.content))
        return httpx.Response(200, json={"error": -201, "message": "text is invalid!"})

    client = ZaloApiClient("https://openapi.zalo.me", fake_tokens, http=httpx.AsyncClient(transport=httpx.MockTransport(always_refuses)))
    delivery = asyncio.run(deliver(client, USER, "Xin chào", sleep=_no_sleep))
    assert (delivery.status, delivery.error_code) == ("refused", -201) and len(zalo.bodies) == 1


def test_the_inbox_outbox_sends_a_replys_buttons_too(client, fake_zalo, store):
    from bot.replies import Button
    from connectors.zalo.outbox import ZaloOutbox

    text = "Yêu cầu #12 đã xong. Anh/chị nhắn số:\n1. Hài lòng\n2. Bình thường\n3. Chưa hài lòng"
    buttons = (Button("Hài lòng", "1"), Button("Bình thường", "2"), Button("Chưa hài lòng", "3"))
    sent = asyncio.run(ZaloOutbox(client, store).send_text(USER, text, "ticket:12", buttons))
    plain = asyncio.run(ZaloOutbox(client, store).send_text(USER, "Chào anh", "ticket:12"))

    assert sent.delivered and plain.delivered
    assert fake_zalo.sent[0]["message"]["text"] == text
    assert [(b["title"], b["payload"]) for b in _attachment(fake_zalo.sent[0])["payload"]["buttons"]] == [
        ("Hài lòng", "1"), ("Bình thường", "2"), ("Chưa hài lòng", "3")]
    assert _attachment(fake_zalo.sent[1]) is None


def test_the_cores_answer_and_rating_reach_zalo_with_their_buttons(understanding, client, fake_zalo, store):
    """The core's own replies: "có giúp không?" under an answer (its words, no "1. Có"), and the
    rating question after a resolved request (numbered in the text, buttons 1..3)."""
    from bot.conversation import Conversation
    from bot.core.satisfaction import resolved_reply
    from bot.replies import Replies, load_templates
    from connectors.zalo.outbox import ZaloOutbox

    conversation = Conversation(understanding)
    answer = conversation.answer_reply("khai_sinh")
    closing = resolved_reply(Replies(load_templates(), understanding.kb.unit), 12, "Tư pháp – Hộ tịch")

    async def send():
        output = ZaloOutput(client, store, USER, None)
        # As actions.py hands it to Rasa and turns.py to the output.
        await output.send_text_with_buttons(USER, answer.text, [{"title": b.title, "payload": b.payload} for b in answer.buttons])
        await output.flush()
        await ZaloOutbox(client, store).send_text(USER, closing.text, "ticket:12:resolved", closing.buttons)

    asyncio.run(send())
    first, second = fake_zalo.sent
    assert first["message"]["text"] == answer.text and "1. Có" not in first["message"]["text"]
    assert [(b["title"], b["payload"]) for b in _attachment(first)["payload"]["buttons"]] == [("Có", "Có"), ("Không", "Không")]
    assert second["message"]["text"] == closing.text
    buttons = _attachment(second)["payload"]["buttons"]
    assert [b["payload"] for b in buttons] == ["1", "2", "3"]
    assert all(f"{b['payload']}. {b['title']}" in closing.text for b in buttons)

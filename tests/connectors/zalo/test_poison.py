"""Issue 17, "messages that stall or poison": a message that cannot be handled is tried a bounded
number of times, then parked with its error for operators, and the citizen is handed to an officer
and told so; text is cleaned at the edge; bodies nested too deep are a 400, not a 500."""
import json

import pytest

from bot.handoff.departments import Departments
from bot.core.channel_events import ChannelEvents
from bot.handoff.tickets import TicketDesk
from bot.replies import Replies
from connectors.limits import MESSAGE_LIMIT, SenderRate, clean_text
from connectors.zalo import dispatcher as dispatcher_module
from bot.inbound_ledger import InboundLedger
from connectors.zalo.dispatcher import MAX_ATTEMPTS, ZaloDispatcher, nesting_depth
from connectors.zalo.events import parse_event
from connectors.zalo.output import ZaloOutput
from tests.connectors.zalo.conftest import APP_ID, OA_SECRET, fixture_body, signed

CITIZEN = "2512523625412515"
REPLIES = Replies({"message_failed": "Xin lỗi anh/chị, hệ thống chưa xử lý được tin nhắn vừa rồi.",
                   "welcome": "Chào mừng!", "text_only": "Chỉ đọc chữ."}, {})


class BrokenBot:
    """A bot that fails on every turn, as the lone surrogate made turns.py fail every 30 s."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, message) -> None:
        self.calls += 1
        raise RuntimeError("the turn failed")


class EchoBot:
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def __call__(self, message) -> None:
        self.seen.append(message.text)
        # what turns.py does with a text: it must encode
        json.dumps({"text": message.text}, ensure_ascii=False).encode("utf-8")
        await message.output_channel.send_text_message(message.sender_id, "Đã nhận")


def _dispatcher(store, client, bot):
    return ZaloDispatcher(APP_ID, OA_SECRET, store, client, REPLIES, bot,
                          lambda user, key: ZaloOutput(client, store, user, key),
                          ChannelEvents(store.engine, TicketDesk(store.engine, Departments(store.engine)), REPLIES))


def test_an_event_that_keeps_failing_is_parked_with_its_error_and_the_citizen_gets_an_officer(
        loop, store, client, fake_zalo, monkeypatch):
    bot = BrokenBot()
    dispatcher = _dispatcher(store, client, bot)
    raw = fixture_body("user_send_text")

    async def go():
        assert await dispatcher.accept(raw, signed(raw)) == (200, {"status": "accepted"})
        await dispatcher.drain()  # retried at once here (RETRY_SECONDS apart in a worker) until parked
        await dispatcher.drain()  # the dead event is left alone

    loop.run_until_complete(go())
    assert bot.calls == MAX_ATTEMPTS
    assert store.unhandled_events() == []
    [dead] = store.dead_events()
    assert dead.attempts == MAX_ATTEMPTS and dead.last_error == "RuntimeError: the turn failed"
    held = TicketDesk(store.engine, Departments(store.engine)).open_for(CITIZEN)
    assert held is not None and held.question == "cho hỏi làm căn cước cho con 10 tuổi ở đâu"
    assert fake_zalo.texts_to(CITIZEN) == ["Xin lỗi anh/chị, hệ thống chưa xử lý được tin nhắn vừa rồi."]


def test_a_lone_surrogate_is_cleaned_at_the_edge_and_the_message_answered(loop, store, client, fake_zalo):
    """Issue 17: "\\ud800 khai sinh" was accepted, then failed in turns.py every 30 s forever."""
    bot = EchoBot()
    dispatcher = _dispatcher(store, client, bot)
    raw = fixture_body("user_send_text").replace("cho hỏi làm căn cước cho con 10 tuổi ở đâu".encode(),
                                                 b"\\ud800 khai sinh\\u0000")

    async def go():
        status = await dispatcher.accept(raw, signed(raw))
        await dispatcher.drain()
        return status

    assert loop.run_until_complete(go()) == (200, {"status": "accepted"})
    assert bot.seen == ["\ufffd khai sinh"]
    assert store.unhandled_events() == [] and store.dead_events() == []
    assert fake_zalo.texts_to(CITIZEN) == ["Đã nhận"]


def test_json_nested_deeper_than_any_zalo_event_is_400_not_500(loop, store, client):
    """Issue 17: 1,000-level nested JSON gave 500."""
    raw = b'{"app_id": "sim-app", "x": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    result = loop.run_until_complete(_dispatcher(store, client, EchoBot()).accept(raw, {}))
    assert result[0] == 400 and "nests deeper" in result[1]["error"]
    assert store.unhandled_events() == []
    every_fixture = ["user_send_text", "user_send_image", "user_send_location", "follow", "oa_send_text_admin"]
    assert all(nesting_depth(fixture_body(name)) <= dispatcher_module.MAX_DEPTH for name in every_fixture)


@pytest.mark.parametrize("text, expected", [
    ("\ud800 khai sinh", "\ufffd khai sinh"),
    ("a\x00b\x07c\nd\te", "abc\nd\te"),
    ("làm căn cước 😀", "làm căn cước 😀"),
    ("", ""),
    ("x" * (MESSAGE_LIMIT + 500), "x" * MESSAGE_LIMIT),
])
def test_clean_text(text, expected):
    assert clean_text(text) == expected


def test_a_parsed_event_carries_clean_capped_text():
    body = json.loads(fixture_body("user_send_text"))
    body["message"]["text"] = "\ud800" + "a" * 10_000
    text = parse_event(body).text
    assert len(text) == MESSAGE_LIMIT and text.encode("utf-8")


def test_sender_rate_allows_per_minute_and_recovers():
    clock = [0.0]
    rate = SenderRate(3, clock=lambda: clock[0])
    assert [rate.allow("a") for _ in range(4)] == [True, True, True, False]
    assert rate.allow("b")
    clock[0] = 61.0
    assert rate.allow("a")


def test_a_citizen_over_the_message_rate_is_told_once_and_the_bot_is_spared(loop, store, client, fake_zalo):
    from connectors.limits import MESSAGES_PER_MINUTE

    replies = Replies({**REPLIES._templates, "too_many_messages": "Anh/chị đang nhắn nhanh quá."}, {})
    bot = EchoBot()
    dispatcher = ZaloDispatcher(APP_ID, OA_SECRET, store, client, replies, bot,
                                lambda user, key: ZaloOutput(client, store, user, key),
                                ChannelEvents(store.engine, TicketDesk(store.engine, Departments(store.engine)), replies))
    bodies = [fixture_body("user_send_text", message={"msg_id": f"flood-{n}", "text": f"câu {n}"})
              for n in range(MESSAGES_PER_MINUTE + 5)]

    async def go():
        for raw in bodies:
            await dispatcher.accept(raw, signed(raw))
        await dispatcher.drain()

    loop.run_until_complete(go())
    assert len(bot.seen) == MESSAGES_PER_MINUTE
    assert fake_zalo.texts_to(CITIZEN).count("Anh/chị đang nhắn nhanh quá.") == 1
    assert store.unhandled_events() == []


def test_the_message_rate_is_counted_by_the_citizens_clock_alike_on_every_worker(loop, store, client, fake_zalo):
    """Two workers (two dispatchers on one database) share the count; the rate is one of sending,
    so 25 messages sent in 50 s are limited however late they are handled, and 25 sent 3 s apart
    (75 s) are not."""
    from connectors.limits import MESSAGES_PER_MINUTE

    replies = Replies({**REPLIES._templates, "too_many_messages": "Anh/chị đang nhắn nhanh quá."}, {})
    bot = EchoBot()
    workers = [ZaloDispatcher(APP_ID, OA_SECRET, store, client, replies, bot,
                              lambda user, key: ZaloOutput(client, store, user, key),
                              ChannelEvents(store.engine, TicketDesk(store.engine, Departments(store.engine)), replies))
               for _ in range(2)]
    start = 1_765_000_000_000

    def flood(citizen: str, gap_ms: int) -> list[bytes]:
        """The citizen's messages, each followed by Zalo's echo of the OA's reply (not counted)."""
        bodies = []
        for n in range(MESSAGES_PER_MINUTE + 5):
            bodies.append(fixture_body("user_send_text", sender={"id": citizen}, timestamp=str(start + n * gap_ms),
                                       message={"msg_id": f"{citizen}-{n}", "text": f"câu {n}"}))
            bodies.append(fixture_body("oa_send_text_echo", recipient={"id": citizen}, timestamp=str(start + n * gap_ms + 1),
                                       message={"msg_id": f"echo-{citizen}-{n}", "text": "Đã nhận"}))
        return bodies

    async def go(bodies: list[bytes]) -> None:
        # the first half by one worker, the rest by the other (as after the first worker died)
        half = len(bodies) // 2
        for worker, part in ((workers[0], bodies[:half]), (workers[1], bodies[half:])):
            for raw in part:
                await worker.accept(raw, signed(raw))
            await worker.drain()

    loop.run_until_complete(go(flood(CITIZEN, 2_000)))
    assert len(bot.seen) == MESSAGES_PER_MINUTE
    assert fake_zalo.texts_to(CITIZEN).count("Anh/chị đang nhắn nhanh quá.") == 1
    loop.run_until_complete(go(flood("8400000000001", 3_000)))
    assert len(bot.seen) == 2 * MESSAGES_PER_MINUTE + 5


def test_a_stored_event_that_cannot_be_read_is_parked_not_forgotten(loop, store, client):
    assert store.record_event("user_send_text:unreadable", "user_send_text", CITIZEN, "{not json")
    assert InboundLedger(store.engine).record("zalo", "user_send_text:unreadable", CITIZEN, "{not json")
    dispatcher = _dispatcher(store, client, EchoBot())
    loop.run_until_complete(dispatcher.drain())
    [dead] = store.dead_events()
    assert dead.event_key == "user_send_text:unreadable" and dead.last_error.startswith("JSONDecodeError")
    assert store.unhandled_events() == []

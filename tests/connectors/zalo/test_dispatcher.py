"""The webhook's promises: clear errors for bad input, exactly once, in order, nothing lost."""
import asyncio
import json

import pytest

from bot.handoff.departments import Departments
from bot.core.channel_events import ChannelEvents
from bot.handoff.tickets import TicketDesk
from bot.replies import Replies
from sqlalchemy import update

from bot.inbound_ledger import InboundLedger, inbound_event
from bot.zalo_store import NEVER_SENT
from connectors.zalo.events import parse_event
from connectors.zalo.output import ZaloOutput
from connectors.zalo.dispatcher import ZaloDispatcher
from tests.connectors.zalo.conftest import APP_ID, OA_SECRET, fixture_body, signed

CITIZEN = "2512523625412515"
REPLIES = Replies({"welcome": "Chào mừng đến với {unit_short}!", "text_only": "Tôi chỉ đọc được chữ.",
                   "handoff_cancelled": "Đã hủy yêu cầu gặp cán bộ."}, {"unit_short": "xã An Phú"})


class EchoBot:
    """Stands in for Rasa: answers every text, with buttons when asked for choices."""

    def __init__(self, delay: float = 0.0, answer: str | None = None) -> None:
        self.seen: list[str] = []
        self.delay = delay
        self.answer = answer

    async def __call__(self, message) -> None:
        self.seen.append(message.text)
        await asyncio.sleep(self.delay)
        out = message.output_channel
        if message.text == "chọn":
            await out.send_text_with_buttons(message.sender_id, "Ý anh/chị là…?", [
                {"title": "Làm căn cước lần đầu", "payload": "/chon_1"}, {"title": "Cấp lại căn cước", "payload": "/chon_2"}])
        else:
            await out.send_text_message(message.sender_id, self.answer or f"Đã nhận: {message.text}")
            await out.send_text_message(message.sender_id, "Cần gì thêm anh/chị cứ hỏi.")


def _dispatcher(store, client, bot):
    return ZaloDispatcher(APP_ID, OA_SECRET, store, client, REPLIES, bot,
                          lambda user, key: ZaloOutput(client, store, user, key),
                          ChannelEvents(store.engine, TicketDesk(store.engine, Departments(store.engine)), REPLIES))


def _post(dispatcher, raw, headers=None):
    return asyncio.get_event_loop().run_until_complete(dispatcher.accept(raw, signed(raw) if headers is None else headers))


def _accept_all(loop, dispatcher, bodies):
    async def go():
        results = [await dispatcher.accept(raw, signed(raw)) for raw in bodies]
        await dispatcher.drain()
        return results
    return loop.run_until_complete(go())


def test_a_text_reaches_the_bot_and_the_turn_is_one_zalo_message(loop, store, client, fake_zalo):
    bot = EchoBot()
    results = _accept_all(loop, _dispatcher(store, client, bot), [fixture_body("user_send_text")])
    assert results == [(200, {"status": "accepted"})]
    assert bot.seen == ["cho hỏi làm căn cước cho con 10 tuổi ở đâu"]
    assert fake_zalo.texts_to(CITIZEN) == ["Đã nhận: cho hỏi làm căn cước cho con 10 tuổi ở đâu\n\nCần gì thêm anh/chị cứ hỏi."]
    assert store.conversation(CITIZEN).display_name == "Nguyễn Văn An"
    assert store.unhandled_events() == []


@pytest.mark.parametrize("raw, status", [(b"{not json", 400), (b"[1, 2]", 400), ("ờ".encode("utf-16"), 400)])
def test_malformed_json_is_400_and_nothing_is_stored(loop, store, client, raw, status):
    result = loop.run_until_complete(_dispatcher(store, client, EchoBot()).accept(raw, {}))
    assert result[0] == status and store.unhandled_events() == []


def test_wrong_or_missing_signature_is_401_and_nothing_processed(loop, store, client):
    bot = EchoBot()
    dispatcher = _dispatcher(store, client, bot)
    raw = fixture_body("user_send_text")
    wrong = loop.run_until_complete(dispatcher.accept(raw, signed(raw, key="the-app-secret-by-mistake")))
    missing = loop.run_until_complete(dispatcher.accept(raw, {}))
    assert wrong == (401, {"error": "bad signature"}) and missing[0] == 401
    loop.run_until_complete(dispatcher.drain())
    assert bot.seen == [] and store.unhandled_events() == []


def test_unknown_app_id_is_401(loop, store, client):
    raw = fixture_body("user_send_text", app_id="someone-else")
    assert loop.run_until_complete(_dispatcher(store, client, EchoBot()).accept(raw, signed(raw)))[0] == 401


def test_a_signed_body_that_is_not_an_event_is_400(loop, store, client):
    raw = json.dumps({"app_id": APP_ID, "timestamp": "1"}).encode()
    assert loop.run_until_complete(_dispatcher(store, client, EchoBot()).accept(raw, signed(raw)))[0] == 400


def test_an_event_type_we_do_not_handle_is_200_and_recorded(loop, store, client, fake_zalo):
    raw = fixture_body("user_seen_message")
    assert _accept_all(loop, _dispatcher(store, client, EchoBot()), [raw]) == [(200, {"status": "accepted"})]
    assert fake_zalo.sent == []


def test_a_duplicate_delivery_is_acknowledged_and_ignored(loop, store, client, fake_zalo):
    bot = EchoBot()
    raw = fixture_body("user_send_text")
    results = _accept_all(loop, _dispatcher(store, client, bot), [raw, raw])
    assert [r[1]["status"] for r in results] == ["accepted", "duplicate"]
    assert len(bot.seen) == 1 and len(fake_zalo.sent) == 1


def test_one_citizens_messages_are_handled_in_order_others_in_parallel(loop, store, client, fake_zalo):
    bot = EchoBot(delay=0.01)
    bodies = [fixture_body("user_send_text", message={"msg_id": f"m{i}", "text": f"câu {i}"}) for i in range(5)]
    bodies += [fixture_body("user_send_text", sender={"id": "999"}, message={"msg_id": "other", "text": "khác"})]
    _accept_all(loop, _dispatcher(store, client, bot), bodies)
    assert [t.split("\n")[0] for t in fake_zalo.texts_to(CITIZEN)] == [f"Đã nhận: câu {i}" for i in range(5)]
    assert len(fake_zalo.texts_to("999")) == 1


def test_messages_stored_in_the_reverse_order_are_answered_in_the_order_the_citizen_sent_them(loop, store, client, fake_zalo):
    """Zalo delivers webhooks concurrently: the later message can reach a receiver first."""
    sent_at = 1_765_000_000_000
    bodies = [fixture_body("user_send_text", timestamp=str(sent_at + 700 * i), message={"msg_id": f"m{i}", "text": f"câu {i}"})
              for i in range(3)]
    _accept_all(loop, _dispatcher(store, client, EchoBot()), list(reversed(bodies)))
    assert [t.split("\n")[0] for t in fake_zalo.texts_to(CITIZEN)] == [f"Đã nhận: câu {i}" for i in range(3)]


def test_events_acknowledged_before_a_restart_are_handled_once_after_it(loop, store, client, fake_zalo):
    raw = fixture_body("user_send_text")
    answered = fixture_body("user_send_text", message={"msg_id": "already", "text": "đã trả lời"})
    before = _dispatcher(store, client, EchoBot())
    # a receiver stored both and answered 200; a worker started the second, sent its reply and died
    for body in (answered, raw):
        assert before.receiver.store(parse_event(json.loads(body)), body.decode())
    store.record_outbound("user_send_text:already", CITIZEN, "trả lời cũ", "sent", 1)
    with store.engine.begin() as conn:
        conn.execute(update(inbound_event).where(inbound_event.c.event_key == "user_send_text:already").values(attempts=1))

    bot = EchoBot()
    restarted = _dispatcher(store, client, bot)
    loop.run_until_complete(restarted.drain())
    assert bot.seen == ["cho hỏi làm căn cước cho con 10 tuổi ở đâu"]
    assert store.unhandled_events() == [] and InboundLedger(store.engine).pending() == 0
    assert _accept_all(loop, restarted, [raw]) == [(200, {"status": "duplicate"})]


def _started_and_died(store, dispatcher, raw: bytes) -> str:
    """A worker took the event and was about to hand its reply to Zalo, or had just done so, when
    it was killed: a `sending` row, the event tried once. Whether Zalo took it, Zalo alone knows."""
    event = parse_event(json.loads(raw))
    assert dispatcher.receiver.store(event, raw.decode())
    store.begin_outbound(event.key, CITIZEN, "Đã nhận: cho hỏi làm căn cước cho con 10 tuổi ở đâu\n\nCần gì thêm anh/chị cứ hỏi.")
    with store.engine.begin() as conn:
        conn.execute(update(inbound_event).where(inbound_event.c.event_key == event.key).values(attempts=1))
    return event.key


def test_a_reply_zalo_took_before_its_worker_died_is_not_sent_again(loop, store, client, fake_zalo):
    bot = EchoBot()
    dispatcher = _dispatcher(store, client, bot)
    key = _started_and_died(store, dispatcher, fixture_body("user_send_text"))
    loop.run_until_complete(client.send_text(CITIZEN, store.unconfirmed_sends(key)[0].text))  # what Zalo took

    loop.run_until_complete(dispatcher.drain())

    assert bot.seen == [] and len(fake_zalo.sent) == 1 and fake_zalo.conversation_reads == 1
    assert [(r.status, r.zalo_message_id) for r in store.outbound(CITIZEN)] == [("sent", "m1")]
    assert store.unhandled_events() == [] and InboundLedger(store.engine).pending() == 0


def test_a_reply_zalo_never_took_is_sent_once_when_the_turn_runs_again(loop, store, client, fake_zalo):
    bot = EchoBot()
    dispatcher = _dispatcher(store, client, bot)
    _started_and_died(store, dispatcher, fixture_body("user_send_text"))

    loop.run_until_complete(dispatcher.drain())

    assert bot.seen == ["cho hỏi làm căn cước cho con 10 tuổi ở đâu"] and len(fake_zalo.sent) == 1
    assert [r.status for r in store.outbound(CITIZEN)] == ["undelivered", "sent"]
    assert store.outbound(CITIZEN)[0].error_message == NEVER_SENT
    assert store.unhandled_events() == []


def test_when_zalos_record_cannot_be_read_the_event_waits_for_a_retry(loop, store, client, fake_zalo):
    dispatcher = _dispatcher(store, client, EchoBot())
    key = _started_and_died(store, dispatcher, fixture_body("user_send_text"))
    fake_zalo.valid_tokens = set()  # every call refused, the conversation read too

    loop.run_until_complete(dispatcher.worker(retry_seconds=60.0).drain())

    assert fake_zalo.sent == [] and [r.status for r in store.outbound(CITIZEN)] == ["sending"]
    assert InboundLedger(store.engine).pending() == 1 and [k for k, _ in store.unhandled_events()] == [key]


def test_an_officer_typing_in_zalo_opens_a_ticket_in_the_general_queue(loop, store, client, fake_zalo):
    # that the bot then stays silent is the core's rule: tests/bot/core/test_channels_agree.py
    _accept_all(loop, _dispatcher(store, client, EchoBot()), [fixture_body("oa_send_text_admin")])
    desk = _desk(store)
    held = desk.open_for(CITIZEN)
    assert held is not None and held.department_code == desk.departments.general_queue().code
    assert fake_zalo.sent == [] and [r.status for r in store.outbound(CITIZEN)] == ["officer"]


def test_our_own_echo_is_ignored(loop, store, client, fake_zalo):
    bot = EchoBot()
    _accept_all(loop, _dispatcher(store, client, bot), [fixture_body("oa_send_text_echo"), fixture_body("user_send_text")])
    assert len(bot.seen) == 1 and TicketDesk(store.engine, Departments(store.engine)).open_for(CITIZEN) is None


@pytest.mark.parametrize("name", ["user_send_image", "user_send_location"])
def test_an_attachment_gets_a_polite_text_only_reply_and_is_kept(loop, store, client, fake_zalo, name):
    _accept_all(loop, _dispatcher(store, client, EchoBot()), [fixture_body(name)])
    assert fake_zalo.texts_to(CITIZEN) == ["Tôi chỉ đọc được chữ."]
    assert json.loads(store.conversation(CITIZEN).attachments)[0]["type"] in ("image", "location")


@pytest.mark.parametrize("name", ["follow", "user_click_chatnow"])
def test_follow_and_chat_now_get_the_welcome(loop, store, client, fake_zalo, name):
    _accept_all(loop, _dispatcher(store, client, EchoBot()), [fixture_body(name)])
    assert fake_zalo.texts_to(CITIZEN) == ["Chào mừng đến với xã An Phú!"]


def test_unfollow_is_recorded(loop, store, client, fake_zalo):
    # user_withdraw erases the citizen: tests/connectors/zalo/test_dispatcher_privacy.py
    _accept_all(loop, _dispatcher(store, client, EchoBot()), [fixture_body("follow"), fixture_body("unfollow")])
    assert not store.conversation(CITIZEN).is_follower


def test_choices_are_sent_as_a_numbered_list_and_the_reply_goes_to_the_bot_as_typed(loop, store, client, fake_zalo):
    bot = EchoBot()
    dispatcher = _dispatcher(store, client, bot)
    _accept_all(loop, dispatcher, [fixture_body("user_send_text", message={"msg_id": "c1", "text": "chọn"})])
    assert fake_zalo.texts_to(CITIZEN) == ["Ý anh/chị là…?\n1. Làm căn cước lần đầu\n2. Cấp lại căn cước"]
    _accept_all(loop, dispatcher, [fixture_body("user_send_text", message={"msg_id": "c2", "text": "2"})])
    # the reply goes to the bot as typed: the core resolves it from the dialogue state, once
    assert bot.seen == ["chọn", "2"]


def test_a_long_answer_is_split_under_2000_characters(loop, store, client, fake_zalo):
    long_answer = "\n\n".join("Đoạn trả lời " + "rất dài " * 60 for _ in range(8))
    _accept_all(loop, _dispatcher(store, client, EchoBot(answer=long_answer)), [fixture_body("user_send_text")])
    texts = fake_zalo.texts_to(CITIZEN)
    assert len(texts) >= 2 and all(len(t) <= 2000 for t in texts)


def test_a_closed_window_is_recorded_on_the_conversation_for_officers(loop, store, client, fake_zalo):
    fake_zalo.errors = [-230]
    _accept_all(loop, _dispatcher(store, client, EchoBot()), [fixture_body("user_send_text")])
    conversation = store.conversation(CITIZEN)
    assert conversation.last_error_code == -230
    assert [r.status for r in store.outbound(CITIZEN)] == ["refused"]


def test_a_reply_that_could_not_be_sent_is_kept_as_undelivered(loop, store, client, fake_zalo, monkeypatch):
    import connectors.zalo.delivery as delivery

    monkeypatch.setattr(delivery, "BACKOFF_SECONDS", 0.0)
    fake_zalo.errors = [503] * 10
    _accept_all(loop, _dispatcher(store, client, EchoBot()), [fixture_body("user_send_text")])
    rows = store.outbound(CITIZEN)
    assert [r.status for r in rows] == ["undelivered"] and rows[0].attempts == 4
    assert "Đã nhận" in rows[0].text


def test_token_expiry_during_a_burst_refreshes_once_and_every_reply_goes_out(loop, store, fake_zalo):
    """Several concurrent turns meet an expired token: one refresh, no failed reply."""
    import httpx
    from datetime import timedelta

    from bot.zalo_store import now
    from connectors.zalo.api import ZaloApiClient
    from connectors.zalo.tokens import TokenManager
    from tests.connectors.zalo.test_tokens import FakeOAuth

    store.seed_token("access-0", "refresh-0", now() + timedelta(seconds=30))  # inside the margin
    fake_zalo.valid_tokens = {"access-1"}
    oauth = FakeOAuth()
    workers = [ZaloApiClient("https://openapi.zalo.me", TokenManager(store, oauth),
                             http=httpx.AsyncClient(transport=httpx.MockTransport(fake_zalo.handler))) for _ in range(3)]
    dispatchers = [_dispatcher(store, client, EchoBot()) for client in workers]
    bodies = [fixture_body("user_send_text", sender={"id": f"c{i}"}, message={"msg_id": f"b{i}", "text": "câu hỏi"}) for i in range(9)]

    async def burst():
        for i, raw in enumerate(bodies):
            await dispatchers[i % 3].accept(raw, signed(raw))
        for d in dispatchers:
            await d.drain()
    loop.run_until_complete(burst())
    assert oauth.calls == 1
    assert sorted(b["recipient"]["user_id"] for b in fake_zalo.sent) == sorted(f"c{i}" for i in range(9))


def _desk(store):
    return TicketDesk(store.engine, Departments(store.engine))


def _hold(store, citizen=CITIZEN):
    return _desk(store).open_ticket(citizen, "zalo", "tôi muốn khiếu nại", "van_phong", "Công dân yêu cầu gặp cán bộ").ticket


def test_an_attachment_while_a_ticket_is_open_goes_to_the_officer(loop, store, client, fake_zalo):
    held = _hold(store)
    _accept_all(loop, _dispatcher(store, client, EchoBot()), [fixture_body("user_send_image")])
    assert fake_zalo.sent == []
    event = _desk(store).events(held.id)[-1]
    assert event.kind == "attachment" and event.data["event"] == "user_send_image"

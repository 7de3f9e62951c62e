"""The Zalo gateway's side of personal data (issue 17): a user_withdraw erases the citizen and
nothing reaches them afterwards; the privacy notice goes once, after the first reply."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete

from bot.db import citizen_erasure, decision_log
from bot.handoff.departments import Departments
from bot.core.channel_events import ChannelEvents
from bot.handoff.tickets import TicketDesk
from bot.inbound_ledger import InboundLedger
from bot.privacy import was_erased
from connectors.zalo.dispatcher import ZaloDispatcher
from connectors.zalo.output import ZaloOutput
from tests.connectors.zalo.conftest import APP_ID, OA_SECRET, fixture_body, signed
from tests.connectors.zalo.test_dispatcher import CITIZEN, REPLIES, EchoBot, _accept_all

NOTICE = "Về dữ liệu cá nhân: … Chi tiết: http://web.test/du-lieu-ca-nhan"


@pytest.fixture(autouse=True)
def clean(db_engine):
    yield
    with db_engine.begin() as conn:
        conn.execute(delete(citizen_erasure))
        conn.execute(delete(decision_log))


def _dispatcher(store, client, bot, notice: str = ""):
    return ZaloDispatcher(APP_ID, OA_SECRET, store, client, REPLIES, bot,
                          lambda user, key: ZaloOutput(client, store, user, key),
                          ChannelEvents(store.engine, TicketDesk(store.engine, Departments(store.engine)), REPLIES), notice=notice)


def test_user_withdraw_erases_the_citizen_and_nothing_is_sent_afterwards(loop, store, client, fake_zalo):
    # issue 17: a user_withdraw only set withdrawn_at and kept everything
    dispatcher = _dispatcher(store, client, EchoBot())
    _accept_all(loop, dispatcher, [fixture_body("user_send_text")])
    desk = dispatcher.events.desk
    desk.open_ticket(CITIZEN, "zalo", "cho tôi gặp cán bộ", "tu_phap_ho_tich", "yêu cầu gặp cán bộ", "Nguyễn Văn An")
    # acknowledged but not yet handled (the process stopped): it must not be answered later
    # withdraw and then a message arrive together: the message is erased before its turn
    sent_before = len(fake_zalo.sent)
    pending = fixture_body("user_send_text", message={"msg_id": "m-9"}, timestamp="1763900009999")
    _accept_all(loop, dispatcher, [fixture_body("user_withdraw"), pending])

    assert len(fake_zalo.sent) == sent_before and InboundLedger(store.engine).pending() == 0
    assert store.conversation(CITIZEN) is None and store.outbound(CITIZEN) == []
    assert desk.open_for(CITIZEN) is None and store.unhandled_events() == []
    assert was_erased(store.engine, CITIZEN)


def test_the_privacy_notice_goes_once_after_the_first_reply(loop, store, client, fake_zalo):
    dispatcher = _dispatcher(store, client, EchoBot(answer="Trả lời."), notice=NOTICE)
    _accept_all(loop, dispatcher, [fixture_body("user_send_text"),
                                   fixture_body("user_send_text", message={"msg_id": "m-2"}, timestamp="1763900009000"),
                                   fixture_body("follow", timestamp="1763900010000")])  # after both messages
    answer = "Trả lời.\n\nCần gì thêm anh/chị cứ hỏi."
    assert fake_zalo.texts_to(CITIZEN) == [answer, NOTICE, answer, "Chào mừng đến với xã An Phú!"]


def test_a_follower_gets_the_notice_after_the_welcome(loop, store, client, fake_zalo):
    _accept_all(loop, _dispatcher(store, client, EchoBot(), notice=NOTICE), [fixture_body("follow")])
    assert fake_zalo.texts_to(CITIZEN) == ["Chào mừng đến với xã An Phú!", NOTICE]


def test_an_erasure_waits_for_the_citizens_turn_in_flight(loop, store, client, fake_zalo):
    # erased under a running turn, the turn's reply (and Rasa's tracker) would be written back
    bot = EchoBot(delay=0.2)
    dispatcher = _dispatcher(store, client, bot)

    async def go():
        await dispatcher.accept(fixture_body("user_send_text"), signed(fixture_body("user_send_text")))
        worker = asyncio.create_task(dispatcher.drain())
        while not bot.seen:  # the turn is now waiting on the bot, its worker holding the citizen's lease
            await asyncio.sleep(0.005)
        erasure = await dispatcher.erase(CITIZEN, "admin", "Công dân yêu cầu xóa")
        await worker
        return erasure

    erasure = loop.run_until_complete(go())
    assert len(fake_zalo.texts_to(CITIZEN)) == 1  # the answer went out before the erasure
    assert store.outbound(CITIZEN) == [] and store.conversation(CITIZEN) is None
    assert erasure.counts["zalo_outbound"] == 1

"""The same conversation through Zalo (signed webhook → dispatcher → a turn) and through Rasa's
REST channel behaves the same: both reach `action_respond`, a thin adapter over the core.

Rasa itself is stood in for by `RasaStandIn` (a tracker of slots and events per sender and the
real `actions.ActionRespond`), with scripted rankings instead of a model; the same journeys
through a trained model are in tests/integration (marked `model`).
"""
from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions
from sqlalchemy import delete, select

from bot.core import satisfaction
from bot.core.channel_events import ChannelEvents
from bot.db import audit_log, staff, staff_role, staff_session, ticket, ticket_event
from bot.handoff.staff import OFFICER, StaffDirectory
from bot.handoff.tickets import DONE
from bot.zalo_store import ZaloStore
from connectors.zalo.api import ZaloApiClient
from connectors.zalo.dispatcher import ZaloDispatcher
from connectors.zalo.output import ZaloOutput
from tests.bot.core.conftest import ranking
from tests.connectors.zalo.conftest import APP_ID, OA_SECRET, FakeTokens, FakeZalo, fixture_body, signed

ZALO_CITIZEN, REST_CITIZEN = "2512523625412515", "rest:an"


class RasaStandIn:
    """What Rasa does with a message here: NLU (scripted), one rule to `action_respond`, slots
    and events kept on the sender's tracker, the utterances to the channel's output."""

    def __init__(self) -> None:
        self.slots: dict[str, dict[str, Any]] = {}
        self.events: dict[str, list[dict[str, Any]]] = {}

    async def turn(self, sender: str, channel: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        events = self.events.setdefault(sender, [])
        events.append({"event": "user", "text": text, "timestamp": time.time(), "input_channel": channel})
        parse = {"text": text, "intent_ranking": [{"name": s.name, "confidence": s.confidence} for s in ranking(text)],
                 "metadata": metadata or {}}
        tracker = Tracker(sender, dict(self.slots.get(sender, {})), parse, list(events), False, None, {}, "action_listen")
        dispatcher = CollectingDispatcher()
        for event in await asyncio.to_thread(actions.ActionRespond().run, dispatcher, tracker, {}):
            self.slots.setdefault(sender, {})[event["name"]] = event["value"]
        events.extend({"event": "bot", "text": m["text"], "timestamp": time.time()} for m in dispatcher.messages)
        return dispatcher.messages

    async def __call__(self, message) -> None:  # the Zalo gateway's turn (connectors/zalo/turns.py)
        for m in await self.turn(message.sender_id, "zalo", message.text, message.metadata):
            if m.get("buttons"):
                await message.output_channel.send_text_with_buttons(message.sender_id, m["text"], m["buttons"])
            else:
                await message.output_channel.send_text_message(message.sender_id, m["text"])


@pytest.fixture
def rasa(core, monkeypatch) -> RasaStandIn:
    monkeypatch.setattr(actions, "_core", lambda: core)
    return RasaStandIn()


@pytest.fixture
def zalo(desk, core, rasa):
    """Zalo's side: a fake OA API, and a conversation driven through signed webhooks."""
    fake = FakeZalo()
    store = ZaloStore(desk.engine)
    client = ZaloApiClient("https://openapi.zalo.me", FakeTokens(), http=httpx.AsyncClient(transport=httpx.MockTransport(fake.handler)))
    dispatcher = ZaloDispatcher(APP_ID, OA_SECRET, store, client, core.replies, rasa,
                                lambda user, key: ZaloOutput(client, store, user, key),
                                ChannelEvents(desk.engine, desk, core.replies))
    numbers = iter(range(1, 1000))

    def say(text: str, event: str = "user_send_text") -> list[str]:
        before = len(fake.texts_to(ZALO_CITIZEN))
        raw = fixture_body(event, message={"msg_id": f"m{next(numbers)}", "text": text})

        async def go():
            assert (await dispatcher.accept(raw, signed(raw)))[0] == 200
            await dispatcher.drain()
        asyncio.run(go())
        return fake.texts_to(ZALO_CITIZEN)[before:]
    return say


@pytest.fixture
def officers(desk):
    """An officer of a department, created on first use; deleted with the test's tickets."""
    made: dict[str, Any] = {}

    def of(code: str):
        if code not in made:
            made[code] = StaffDirectory(desk.engine).create(f"cb_{code}", f"Cán bộ {code}", "mat-khau-dai-123", OFFICER, code)
        return made[code]
    yield of
    with desk.engine.begin() as conn:
        for table in (ticket_event, ticket, audit_log, staff_session, staff_role, staff):  # they name the officer
            conn.execute(delete(table))


@pytest.fixture
def rest(rasa):
    def say(text: str) -> list[str]:
        return [m["text"] for m in asyncio.run(rasa.turn(REST_CITIZEN, "rest", text))]
    return say


def _journey(say, desk, citizen: str) -> list[Any]:
    """Clarify and choose, say it helped, ask for an officer without a subject and then say what
    about, write twice while the ticket is open, cancel, be answered again."""
    seen: list[Any] = []
    offered = say("làm căn cước")
    seen.append(("clarify", len(offered), offered[0].splitlines()[0], offered[0].count("\n")))
    chosen = say("2")
    seen.append(("chosen", chosen))
    seen.append(("helped", say("Có")))
    seen.append(("asked", say("cho tôi gặp cán bộ"), desk.open_for(citizen)))
    handed = say("con tôi cần làm căn cước")
    held = desk.open_for(citizen)
    lines = [(e.kind, e.text) for e in desk.events(held.id) if e.kind in ("citizen", "bot")]
    seen.append(("handed", handed, held.question, held.department_code, lines[-4:-2]))
    number = f"#{held.id}"
    seen.append(("while open", [t.replace(number, "#N") for t in say("làm giấy khai sinh cần gì")],
                 desk.events(held.id)[-2].text))
    seen.append(("once", say("con tôi 6 tuổi")))
    seen.append(("cancel", say("thôi không cần nữa"), desk.get(held.id).status == DONE))
    seen.append(("again", say("làm giấy khai sinh cần gì")))
    return seen


def test_zalo_and_rest_behave_the_same(desk, kb, core, zalo, rest):
    through_zalo = _journey(zalo, desk, ZALO_CITIZEN)
    through_rest = _journey(rest, desk, REST_CITIZEN)
    assert through_zalo == through_rest
    assert through_zalo[1] == ("chosen", [core.conversation.answer_reply("can_cuoc_cap_lai").text])
    assert through_zalo[2] == ("helped", [core.replies.text("answer_feedback_yes")])
    assert through_zalo[3] == ("asked", [core.replies.text("ask_subject")], None)
    # the ticket's question is the real need; the request and the bot's question are its history
    assert through_zalo[4][2:] == ("con tôi cần làm căn cước", "cong_an",
                                   [("citizen", "cho tôi gặp cán bộ"), ("bot", core.replies.text("ask_subject"))])
    assert through_zalo[5][1][0].startswith("Dạ, tôi đã thêm tin nhắn của anh/chị vào yêu cầu #N; Công an xã sẽ trả lời")
    assert through_zalo[6] == ("once", [])  # one acknowledgement, not one per message
    assert through_zalo[-1] == ("again", [core.conversation.answer_reply("khai_sinh").text])
    # the name is on the ticket where the channel knows it (Zalo's user detail), as metadata
    assert [t.citizen_name for t in desk.queue(None, open_only=False) if t.citizen_id == ZALO_CITIZEN] == ["Nguyễn Văn An"]


def _rated(say, desk, citizen: str, people) -> list[Any]:
    """A resolved request asks its rating (as the inbox does), the citizen rates and comments."""
    seen: list[Any] = []
    say("cho tôi gặp cán bộ hỏi về sổ đỏ")
    held = desk.open_for(citizen)
    officer = people(held.department_code)
    desk.claim(held.id, officer)
    desk.resolve(held.id, officer)
    with desk.engine.begin() as conn:
        satisfaction.ask_rating(conn, held.id)
    seen.append(("rated", say("1")))
    seen.append(("comment", say("cán bộ trả lời nhanh, cảm ơn")))
    seen.append(("after", say("làm giấy khai sinh cần gì")))
    rated = desk.get(held.id)
    with desk.engine.connect() as conn:
        row = conn.execute(select(ticket.c.rating, ticket.c.rating_comment, ticket.c.feedback_stage)
                           .where(ticket.c.id == rated.id)).one()
    seen.append(("stored", tuple(row)))
    return seen


def test_the_rating_after_a_resolved_request_through_zalo_and_rest(desk, core, zalo, rest, officers):
    through_zalo = _rated(zalo, desk, ZALO_CITIZEN, officers)
    through_rest = _rated(rest, desk, REST_CITIZEN, officers)
    assert through_zalo == through_rest
    assert through_zalo == [
        ("rated", [core.replies.text("rating_thanks")]),
        ("comment", [core.replies.text("comment_thanks")]),
        ("after", [core.conversation.answer_reply("khai_sinh").text]),
        ("stored", (5, "cán bộ trả lời nhanh, cảm ơn", None)),
    ]


def test_an_officer_in_zalos_tool_silences_the_bot_until_the_ticket_closes(desk, core, zalo):
    assert zalo("", event="oa_send_text_admin") == []
    assert zalo("làm giấy khai sinh cần gì") == []  # answering the officer: a live exchange
    held = desk.open_for(ZALO_CITIZEN)
    assert desk.events(held.id)[-1].text == "làm giấy khai sinh cần gì"
    assert zalo("thôi không cần nữa") == [core.replies.text("handoff_cancelled")]
    assert zalo("làm giấy khai sinh cần gì") == [core.conversation.answer_reply("khai_sinh").text]


def test_the_clarify_choice_lives_in_the_dialogue_state_not_in_the_gateway(rasa, kb):
    """The choice is the dialogue state's (Rasa's slots), not a dict in the gateway's memory."""
    first = asyncio.run(rasa.turn(ZALO_CITIZEN, "zalo", "làm căn cước"))
    assert first[0]["buttons"]
    # a new gateway (nothing in memory) forwards "1": the core still knows what was offered
    again = asyncio.run(rasa.turn(ZALO_CITIZEN, "zalo", "1"))
    assert again[0]["text"].startswith(kb.render_answer("can_cuoc_cap_moi"))

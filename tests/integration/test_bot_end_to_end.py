"""The trained model and the whole dialogue through Rasa, with the real action server.

The model comes from models/ or the cache keyed by the data fingerprint (bot.model), so CI trains
at most once per data change.
"""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from sqlalchemy import create_engine, select

from actions.server import HEADER
from bot import paths
from bot.conversation import Conversation
from bot.db import decision_log
from bot.migrate import upgrade

pytestmark = pytest.mark.model

SAME_QUESTION = [
    "cho hỏi làm căn cước cho con 10 tuổi ở đâu",
    "cho hoi lam can cuoc cho con 10 tuoi o dau",
    "e hỏi lm cccd cho bé 10t ở đâu v ạ",
]


@pytest.mark.parametrize("text", SAME_QUESTION)
def test_three_ways_of_typing_get_the_same_answer(nlu, understanding, text):
    decision = understanding.decide(text, nlu.rank(text))
    assert (decision.kind, decision.faq_id) == ("answer", "can_cuoc_tre_em")


@pytest.mark.parametrize(
    "text, kind",
    [
        ("xin chào ad", "smalltalk"),
        ("cho tôi gặp cán bộ", "handoff"),
        ("Tôi muốn tố cáo cán bộ một cửa đã vòi tiền tôi khi làm hồ sơ", "handoff"),
        ("giá vàng hôm nay bao nhiêu", "out_of_scope"),
        ("", "out_of_scope"),
        ("😀😀😀", "out_of_scope"),
        ("1", "out_of_scope"),
        ("x" * 10_000, None),
        ("Привет, 你好, hello \ud800 \x00", None),
    ],
)
def test_bad_and_simple_input_gets_a_defined_decision(nlu, understanding, text, kind):
    decision = understanding.decide(text, nlu.rank(text))
    assert decision.kind in ("answer", "clarify", "handoff", "smalltalk", "out_of_scope")
    assert decision.kind != "answer" or kind is None
    if kind:
        assert decision.kind == kind


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_database(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'bot.db'}"
    upgrade(url)
    return url


ACTION_TOKEN = "e2e-action-token"


@pytest.fixture(scope="module")
def action_server(app_database):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": app_database, "ACTION_SERVER_TOKEN": ACTION_TOKEN, "ACTIONS_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "actions.server"],
        cwd=paths.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/health", timeout=1)
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail("the action server exited at start")
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("the action server did not start within 90 s")
    yield f"{url}/webhook"
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def agent(trained_model, action_server):
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    loop = asyncio.new_event_loop()
    agent = Agent.load(str(trained_model), action_endpoint=EndpointConfig(action_server, headers={HEADER: ACTION_TOKEN}))
    yield agent, loop
    loop.close()


def _say(agent_and_loop, sender: str, text: str) -> str:
    """The bot's reply; Rasa's collecting channel sends each paragraph as its own message."""
    agent, loop = agent_and_loop
    messages = loop.run_until_complete(agent.handle_text(text, sender_id=sender))
    return "\n\n".join(m["text"] for m in messages if m.get("text"))


def test_greeting_and_answer_through_rasa(agent, kb, understanding):
    greeting = _say(agent, "citizen-1", "xin chào")
    assert "trợ lý tự động" in greeting
    answer = _say(agent, "citizen-1", SAME_QUESTION[1])
    assert answer == Conversation(understanding).answer_reply("can_cuoc_tre_em").text  # with "có giúp … không?"


def test_clarify_then_2_gets_the_second_option_through_rasa(agent, kb):
    from rasa.shared.core.events import SlotSet

    rasa_agent, loop = agent
    sender = "citizen-2"
    options = ["can_cuoc_cap_moi", "can_cuoc_cap_lai", "can_cuoc_tre_em"]

    async def offer_options():
        tracker = await rasa_agent.tracker_store.get_or_create_tracker(sender)
        tracker.update(SlotSet("pending_choices", options))
        await rasa_agent.tracker_store.save(tracker)

    loop.run_until_complete(offer_options())
    reply = _say(agent, sender, "2")
    assert reply.startswith(kb.render_answer("can_cuoc_cap_lai"))


def _desk(app_database):
    from bot.handoff.departments import Departments
    from bot.handoff.tickets import TicketDesk

    engine = create_engine(app_database, future=True)
    return TicketDesk(engine, Departments(engine))


def test_handoff_asks_the_subject_opens_a_ticket_says_who_and_when_and_acknowledges_once(agent, app_database):
    asked = _say(agent, "citizen-3", "cho tôi nói chuyện với cán bộ")
    assert "anh/chị cần hỏi về việc gì để tôi chuyển đúng bộ phận?" in asked
    desk = _desk(app_database)
    assert desk.open_for("citizen-3") is None
    reply = _say(agent, "citizen-3", "tôi muốn hỏi về làm căn cước cho con")
    held = desk.open_for("citizen-3")
    assert held is not None and held.question == "tôi muốn hỏi về làm căn cước cho con"
    assert held.department_code == "cong_an" and "từ khóa" not in held.routing_reason
    assert desk.departments.get(held.department_code).name in reply
    assert any(phrase in reply for phrase in ("hôm nay", "ngày mai", "trở lại", "chậm nhất"))
    # the request line stays in the ticket's history
    assert "cho tôi nói chuyện với cán bộ" in [e.text for e in desk.events(held.id)]
    with desk.engine.connect() as conn:
        rows = conn.execute(select(decision_log).where(decision_log.c.sender_id == "citizen-3")).all()
    assert [r.decision for r in rows] == ["clarify", "handoff"]
    # the core adds it to the ticket for the officer, and says so once
    added = _say(agent, "citizen-3", "làm căn cước cho con ở đâu")
    assert added.startswith(f"Dạ, tôi đã thêm tin nhắn của anh/chị vào yêu cầu #{held.id};")
    assert desk.events(held.id)[-2].text == "làm căn cước cho con ở đâu"
    assert _say(agent, "citizen-3", "con tôi 6 tuổi") == ""
    assert desk.events(held.id)[-1].text == "con tôi 6 tuổi"


def test_a_new_rasa_session_does_not_free_a_citizen_whose_ticket_is_open(agent, app_database):
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    rasa_agent, loop = agent
    sender = "citizen-expired"
    held = _desk(app_database).open_ticket(sender, "rest", "tôi muốn khiếu nại", "van_phong", "Công dân yêu cầu gặp cán bộ").ticket
    two_hours_ago = time.time() - 7200  # the session expires after 60 minutes (domain.yml)
    events = [
        ActionExecuted("action_session_start", timestamp=two_hours_ago), SessionStarted(timestamp=two_hours_ago),
        ActionExecuted("action_listen", timestamp=two_hours_ago),
        UserUttered("tôi muốn khiếu nại", timestamp=two_hours_ago),
        BotUttered("Tôi đã chuyển câu hỏi tới Văn phòng", timestamp=two_hours_ago),
    ]

    async def seed():
        await rasa_agent.tracker_store.save(DialogueStateTracker.from_events(sender, events))

    loop.run_until_complete(seed())
    assert _say(agent, sender, "alo có ai không").startswith(f"Dạ, tôi đã thêm tin nhắn của anh/chị vào yêu cầu #{held.id};")
    assert _desk(app_database).events(held.id)[-2].text == "alo có ai không"
    tracker = loop.run_until_complete(rasa_agent.tracker_store.retrieve(sender))
    started = [e for e in tracker.events if isinstance(e, SessionStarted)]
    assert started and started[-1].timestamp > two_hours_ago + 3600  # a new session did start


def test_two_unclear_messages_hand_off_through_rasa(agent):
    first = _say(agent, "citizen-4", "???")
    second = _say(agent, "citizen-4", "...")
    assert "chưa hiểu" in first
    assert "chuyển" in second


def test_rasa_data_validate_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate", "--domain", "domain.yml",
         "--data", "data/nlu", "data/rules.yml", "--config", "config.yml", "--fail-on-warnings"],
        cwd=paths.ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

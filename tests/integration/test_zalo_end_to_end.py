"""Simulator -> signed webhook -> Rasa with the trained bot -> Zalo API -> simulator."""
from __future__ import annotations

import time

import httpx
import pytest

from bot.conversation import NO_SUBJECT_QUESTION, Conversation
from bot.stack import start_stack
from tests.conftest import bot_replies

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def stack(trained_model, tmp_path_factory):
    stack = start_stack(trained_model, tmp_path_factory.mktemp("zalo-e2e"))
    yield stack
    stack.stop()


@pytest.fixture
def sim(stack):
    with httpx.Client(base_url=f"{stack.web_url}/zalo-sim/api", timeout=10) as client:
        yield client


def _oa_replies(sim, user_id: str, count: int, timeout: float = 30.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = sim.get(f"/citizens/{user_id}/conversation").json()["messages"]
        replies = bot_replies(messages)
        if len(replies) >= count:
            return replies
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} replies within {timeout} s: {messages}")


def test_a_citizen_follows_asks_and_gets_the_right_answer_on_zalo(sim, kb, understanding):
    citizen = sim.post("/citizens", json={}).json()
    user = citizen["user_id"]
    sim.post(f"/citizens/{user}/follow")
    welcome = _oa_replies(sim, user, 1)
    assert "Chào mừng" in welcome[0]
    sim.post(f"/citizens/{user}/messages", json={"text": "cho hoi lam can cuoc cho con 10 tuoi o dau"})
    replies = _oa_replies(sim, user, 2)
    # the answer, then "Câu trả lời có giúp được anh/chị không?" (buttons Có / Không)
    assert replies[1] == Conversation(understanding).answer_reply("can_cuoc_tre_em").text


def test_an_officer_typing_in_the_oa_chat_tool_silences_the_bot(sim, stack):
    user = sim.post("/citizens", json={}).json()["user_id"]
    sim.post(f"/citizens/{user}/messages", json={"text": "xin chào"})
    assert len(_oa_replies(sim, user, 1)) == 1
    sim.post(f"/citizens/{user}/officer-messages", json={"text": "Chào anh, tôi là cán bộ xã."})
    _handled(stack, user, "oa_send_text", 1, officer=True)
    sim.post(f"/citizens/{user}/messages", json={"text": "cảm ơn cán bộ"})
    _handled(stack, user, "user_send_text", 2)  # the gateway is done with it
    assert len(_oa_replies(sim, user, 1)) == 1  # the bot said nothing more


def _handled(stack, user: str, event_name: str, count: int, officer: bool = False, timeout: float = 30.0) -> None:
    """Wait until `count` of the citizen's `event_name` events (an officer's only: not the echoes
    of the bot's sends) are marked handled."""
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.database_url, future=True)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                done = conn.execute(text("SELECT count(*) FROM zalo_event WHERE user_id = :u AND event_name = :n "
                                         "AND handled_at IS NOT NULL AND (:any OR body LIKE '%admin_id%')"),
                                    {"u": user, "n": event_name, "any": not officer}).scalar_one()
            if done >= count:
                return
            time.sleep(0.1)
    finally:
        engine.dispose()
    raise AssertionError(f"{count} {event_name} events of {user} not handled within {timeout} s")


def test_a_handed_off_citizen_waits_for_the_officer_then_the_bot_answers_again(sim, stack, kb):
    from sqlalchemy import create_engine

    from bot.handoff.departments import Departments
    from bot.handoff.staff import OFFICER, StaffDirectory
    from bot.handoff.tickets import CITIZEN, TicketDesk

    user = sim.post("/citizens", json={}).json()["user_id"]
    sim.post(f"/citizens/{user}/messages", json={"text": "cho tôi nói chuyện với cán bộ"})
    asked = _oa_replies(sim, user, 1)[0]
    assert "anh/chị cần hỏi về việc gì để tôi chuyển đúng bộ phận?" in asked  # no subject: asked once
    sim.post(f"/citizens/{user}/messages", json={"text": "chuyển luôn"})
    told = _oa_replies(sim, user, 2)[1]
    assert "Văn phòng" in told and "cán bộ" in told
    engine = create_engine(stack.database_url, future=True)
    desk = TicketDesk(engine, Departments(engine))
    held = desk.open_for(user)
    assert held is not None and held.department_code == "van_phong" and held.citizen_name
    assert held.question == NO_SUBJECT_QUESTION

    def wrote(text: str) -> None:
        sim.post(f"/citizens/{user}/messages", json={"text": text})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(e.text == text for e in desk.events(held.id)):
            time.sleep(0.2)
        assert any(e.kind == CITIZEN and e.text == text for e in desk.events(held.id))

    wrote("em gửi thêm: quyết định số 12/QĐ-UBND")
    added = _oa_replies(sim, user, 3)[2]
    assert added.startswith(f"Dạ, tôi đã thêm tin nhắn của anh/chị vào yêu cầu #{held.id}; Văn phòng sẽ trả lời")
    wrote("và bản sao sổ hộ khẩu")
    _handled(stack, user, "user_send_text", 4)
    assert len(_oa_replies(sim, user, 3)) == 3  # one acknowledgement, not one per message

    officer = StaffDirectory(engine).create(f"vp-{user[-6:]}", "Cán bộ Văn phòng", "mat-khau-vp-123", OFFICER, "van_phong")
    desk.claim(held.id, officer)
    desk.resolve(held.id, officer)
    sim.post(f"/citizens/{user}/messages", json={"text": "cho hoi lam can cuoc cho con 10 tuoi o dau"})
    assert _oa_replies(sim, user, 4)[3].startswith(kb.render_answer("can_cuoc_tre_em"))

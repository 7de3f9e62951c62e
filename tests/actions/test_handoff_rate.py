"""Issue 17: a sender is handed off at most HANDOFFS_PER_MINUTE times a minute; asking again and
again (with cancels in between) must not flood the officers' queues with tickets."""
from __future__ import annotations

from types import SimpleNamespace

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions
from bot.conversation import DialogueState, Turn
from bot.decision import HANDOFF, Decision
from bot.replies import Replies, Reply
from connectors.limits import HANDOFFS_PER_MINUTE, SenderRate


class FakeHandOff:
    def __init__(self) -> None:
        self.opened: list[str] = []
        self.desk = SimpleNamespace(add_bot_message=lambda ticket_id, text: None)

    def open(self, sender, channel, text, decision, history):
        self.opened.append(sender)
        return SimpleNamespace(department=SimpleNamespace(name="Văn phòng"), when="hôm nay", ticket=SimpleNamespace(id=1))


class FakeConversation:
    replies = Replies({"handoff_too_often": "Anh/chị vừa yêu cầu gặp cán bộ nhiều lần."}, {})

    def respond(self, text, ranking, state):
        return Turn(Decision(HANDOFF, "request_human", 1.0), (), DialogueState())

    def handoff_reply(self, decision, department, when):
        return Reply(f"Đã chuyển tới {department}")


class NoDatabase:
    def begin(self):
        return self

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_hand_offs_beyond_the_rate_open_no_ticket(monkeypatch):
    handoff = FakeHandOff()
    monkeypatch.setattr(actions, "_handoffs", SenderRate(HANDOFFS_PER_MINUTE))
    monkeypatch.setattr(actions, "_conversation", lambda: FakeConversation())
    monkeypatch.setattr(actions, "_handoff", lambda: handoff)
    monkeypatch.setattr(actions, "get_engine", lambda: NoDatabase())
    monkeypatch.setattr(actions, "record_decision", lambda *args: None)
    said = []
    for _ in range(HANDOFFS_PER_MINUTE + 2):
        dispatcher = CollectingDispatcher()
        tracker = Tracker("2512523625412515", {}, {"text": "gặp cán bộ", "intent_ranking": []}, [], False, None, {}, "zalo")
        actions.ActionRespond().run(dispatcher, tracker, {})
        said.append(dispatcher.messages[0]["text"])
    assert handoff.opened == ["2512523625412515"] * HANDOFFS_PER_MINUTE
    assert said[-1] == "Anh/chị vừa yêu cầu gặp cán bộ nhiều lần."

"""`action_respond` is a thin adapter: the tracker to a `Citizen` and a state, one call to the core,
its replies uttered and its state set back as slots. (The rules themselves: tests/bot/core.)"""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions
from bot.conversation import DialogueState
from bot.core.outcome import CLARIFIED, NAME_METADATA, Citizen, Outcome
from bot.replies import Button, Reply


class FakeCore:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def handle_citizen_message(self, citizen, text, ranking, state, history=()):
        self.calls.append((citizen, text, ranking, state, list(history)))
        return Outcome(CLARIFIED, (Reply("Ý anh/chị là…?", (Button("Cấp mới", "1"), Button("Cấp lại", "2"))),),
                       DialogueState(("can_cuoc_cap_moi", "can_cuoc_cap_lai"), 1))


def test_the_action_calls_the_core_once_and_says_what_it_decided(monkeypatch):
    core = FakeCore()
    monkeypatch.setattr(actions, "_core", lambda: core)
    events = [
        {"event": "user", "text": "xin chào", "timestamp": 1.0, "input_channel": "zalo"},
        {"event": "bot", "text": "Xin chào anh/chị!", "timestamp": 2.0},
        {"event": "user", "text": "làm căn cước", "timestamp": 3.0, "input_channel": "zalo"},
    ]
    message = {"text": "làm căn cước", "intent_ranking": [{"name": "faq_can_cuoc_cap_moi", "confidence": 0.4}],
               "metadata": {NAME_METADATA: "Nguyễn Văn An"}}
    tracker = Tracker("2512523625412515", {"pending_choices": None, "failed_turns": 0.0}, message, events, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()

    slots = actions.ActionRespond().run(dispatcher, tracker, {})

    [(citizen, text, ranking, state, history)] = core.calls
    assert citizen == Citizen("2512523625412515", "zalo", "Nguyễn Văn An")
    assert (text, state) == ("làm căn cước", DialogueState())
    assert [(s.name, s.confidence) for s in ranking] == [("faq_can_cuoc_cap_moi", 0.4)]
    assert [line.text for line in history] == ["xin chào", "Xin chào anh/chị!"]
    assert dispatcher.messages[0]["text"] == "Ý anh/chị là…?"
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["1", "2"]
    assert {(s["name"], str(s["value"])) for s in slots} == {
        ("pending_choices", "['can_cuoc_cap_moi', 'can_cuoc_cap_lai']"), ("failed_turns", "1.0"),
        ("awaiting_subject", "None"), ("last_faq", "None"), ("feedback_decision", "None")}


class EchoCore:
    """Returns the state it was given, so the slots' round trip shows."""

    def handle_citizen_message(self, citizen, text, ranking, state, history=()):
        self.state = state
        return Outcome(CLARIFIED, (), state)


def test_the_dialogue_state_round_trips_through_the_slots(monkeypatch):
    core = EchoCore()
    monkeypatch.setattr(actions, "_core", lambda: core)
    slots = {"pending_choices": None, "failed_turns": 0.0, "awaiting_subject": True, "last_faq": "khai_sinh",
             "feedback_decision": 42.0}
    tracker = Tracker("rest:an", slots, {"text": "có"}, [], False, None, {}, "action_listen")
    events = actions.ActionRespond().run(CollectingDispatcher(), tracker, {})
    assert core.state == DialogueState(awaiting_subject=True, last_faq="khai_sinh", feedback_decision=42)
    assert {e["name"]: e["value"] for e in events} == {
        "pending_choices": None, "failed_turns": 0.0, "awaiting_subject": True, "last_faq": "khai_sinh",
        "feedback_decision": 42.0}

"""The simulator's record of what the OA sent, as load tests and benches poll it."""
from __future__ import annotations

from bot.zalo_sim import state as sim_state
from bot.zalo_sim.state import OA_TO_CITIZEN, SimState


def test_a_poller_cursor_sees_every_send_even_two_in_one_millisecond(monkeypatch):
    """Sorted by timestamp, a send to an earlier citizen in the same millisecond as the last one
    seen landed before the poller's cursor and was never read (a reply counted as lost)."""
    monkeypatch.setattr(sim_state, "now_ms", lambda: 1_765_000_000_000)
    state = SimState()
    first, second = state.add_citizen("An"), state.add_citizen("Bình")
    state.record(second.user_id, OA_TO_CITIZEN, "trả lời Bình")
    seen = len(state.oa_messages())  # the poller's cursor
    state.record(first.user_id, OA_TO_CITIZEN, "trả lời An")
    assert [m.text for m in state.oa_messages()[seen:]] == ["trả lời An"]
    assert [m.text for m in state.oa_messages(first.user_id)] == ["trả lời An"]

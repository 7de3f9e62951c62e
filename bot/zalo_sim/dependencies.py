"""The one simulator an app serves, shared by all simulator routers."""
from __future__ import annotations

from fastapi import Request

from bot.zalo_sim.simulator import Simulator


def get_simulator(request: Request) -> Simulator:
    """Created from the environment on first use; tests replace it with `app.dependency_overrides`."""
    state = request.app.state
    if not hasattr(state, "zalo_sim"):
        state.zalo_sim = Simulator()
    return state.zalo_sim

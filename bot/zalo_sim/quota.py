"""Who a CS message may reach and what pays for it (DOCS tin-nhan/tin-tu-van/dieu-kien-gui-tin-tu-van).

Within 48 h of the citizen's last interaction the first 8 replies are free (`quota_type: reply`);
after that, up to 7 days, each one is charged and the response has no `quota` object; beyond
7 days Zalo refuses with -230, and with -232 a citizen who never interacted.
"""
from __future__ import annotations

import time

from bot.zalo_sim import errors
from bot.zalo_sim.state import Citizen

FREE_REPLIES = 8
FREE_WINDOW_SECONDS = 48 * 3600
CS_WINDOW_SECONDS = 7 * 24 * 3600


def charge_reply(citizen: Citizen, now: float | None = None) -> dict[str, str] | None:
    """The `quota` object for one more CS message to `citizen`, or None when it is charged."""
    now = time.time() if now is None else now
    if citizen.last_interaction is None:
        raise errors.ZaloError(errors.NO_INTERACTION)
    if now - citizen.last_interaction > CS_WINDOW_SECONDS:
        raise errors.ZaloError(errors.NO_INTERACTION_7_DAYS)
    if now - citizen.last_interaction > FREE_WINDOW_SECONDS or citizen.free_replies_used >= FREE_REPLIES:
        return None
    citizen.free_replies_used += 1
    # Zalo sends these counts as strings.
    return {"quota_type": "reply", "remain": str(FREE_REPLIES - citizen.free_replies_used), "total": str(FREE_REPLIES)}

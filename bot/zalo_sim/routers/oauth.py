"""Zalo's OAuth v4 (oauth.zaloapp.com/v4) at /zalo-sim/oauth: refreshing the OA access token."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from bot.zalo_sim import errors
from bot.zalo_sim.dependencies import get_simulator
from bot.zalo_sim.simulator import Simulator

router = APIRouter(prefix="/zalo-sim/oauth", tags=["zalo-sim: OAuth"])


@router.post("/v4/oa/access_token")
async def access_token(request: Request, sim: Simulator = Depends(get_simulator)) -> object:
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    try:
        pair = sim.refresh_access_token(fields, request.headers.get("secret_key"))
    except errors.OAuthError as exc:
        return exc.body()
    # `expires_in` is a string of seconds, as Zalo sends it.
    return {"access_token": pair.access_token, "refresh_token": pair.refresh_token, "expires_in": str(pair.expires_in)}

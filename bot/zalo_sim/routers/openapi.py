"""Zalo's OA Open API (openapi.zalo.me) at /zalo-sim/openapi: what the connector's API client calls."""
from __future__ import annotations

import json
from http import HTTPStatus

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse

from bot.zalo_sim import errors
from bot.zalo_sim.dependencies import get_simulator
from bot.zalo_sim.simulator import Simulator
from bot.zalo_sim.state import Citizen

router = APIRouter(prefix="/zalo-sim/openapi", tags=["zalo-sim: OA Open API"])


@router.post("/v3.0/oa/message/cs")
async def send_cs_message(request: Request, sim: Simulator = Depends(get_simulator)) -> object:
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    try:
        data = sim.send_cs_text(_access_token(request), body)
    except errors.ForcedHttpError as exc:
        return PlainTextResponse(HTTPStatus(exc.status_code).phrase, status_code=exc.status_code)
    except errors.ZaloError as exc:
        return exc.body()
    return {"error": 0, "message": "Success", "data": data}


@router.get("/v3.0/oa/user/detail")
async def user_detail(request: Request, data: str | None = None, sim: Simulator = Depends(get_simulator)) -> object:
    def avatar_url(citizen: Citizen) -> str:
        return str(request.url_for("citizen_avatar", user_id=citizen.user_id))

    try:
        detail = sim.user_detail(_access_token(request), data, avatar_url)
    except errors.ZaloError as exc:
        return exc.body()
    return {"error": 0, "message": "Success", "data": detail}


@router.get("/v2.0/oa/conversation")
async def oa_conversation(request: Request, data: str | None = None, sim: Simulator = Depends(get_simulator)) -> object:
    try:
        messages = sim.oa_conversation(_access_token(request), data)
    except errors.ZaloError as exc:
        return exc.body()
    return {"error": 0, "message": "Success", "data": messages}


@router.get("/v2.0/oa/getoa")
async def oa_info(request: Request, sim: Simulator = Depends(get_simulator)) -> object:
    try:
        data = sim.oa_info(_access_token(request))
    except errors.ZaloError as exc:
        return exc.body()
    return {"error": 0, "message": "Success", "data": data}


def _access_token(request: Request) -> str | None:
    # A custom header with an underscore, not `Authorization: Bearer`; FastAPI's Header() would
    # look for `access-token` instead.
    return request.headers.get("access_token")


"""The chat page's JSON API at /zalo-sim/api: citizens acting in their Zalo app, officers in the OA chat tool."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, validator

from bot.zalo_sim import attachments
from bot.zalo_sim.dependencies import get_simulator
from bot.zalo_sim.simulator import DEFAULT_ADMIN_ID, NoSuchButton, Simulator, UnknownCitizen
from bot.zalo_sim.state import Citizen

router = APIRouter(prefix="/zalo-sim/api", tags=["zalo-sim: chat page"])


class NewCitizen(BaseModel):
    # Empty: a Vietnamese name not yet in use is picked.
    display_name: str = ""


class TextMessage(BaseModel):
    text: str

    @validator("text")
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("tin nhắn trống")
        return text


class OfficerMessage(TextMessage):
    admin_id: str = DEFAULT_ADMIN_ID


class ButtonTap(BaseModel):
    msg_id: str
    index: int


class Attachment(BaseModel):
    type: Literal["sticker", "image", "file", "location"]
    sticker_id: str = "xin-chao"
    url: str | None = None
    # Default: Hoàn Kiếm, Hà Nội.
    latitude: float = 21.0285
    longitude: float = 105.8542
    text: str = ""


def known_citizen(user_id: str, sim: Simulator = Depends(get_simulator)) -> Citizen:
    try:
        return sim.citizen(user_id)
    except UnknownCitizen as exc:
        raise HTTPException(404, f"Không có công dân nào mang user_id {user_id}") from exc


@router.get("/citizens")
async def list_citizens(sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    return {"citizens": [citizen.to_json() for citizen in sim.state.citizens.values()]}


@router.post("/citizens", status_code=201)
async def create_citizen(new: NewCitizen, sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    return sim.create_citizen(new.display_name).to_json()


@router.get("/citizens/{user_id}")
async def get_citizen(citizen: Citizen = Depends(known_citizen)) -> dict[str, object]:
    return citizen.to_json()


@router.post("/citizens/{user_id}/follow")
async def follow(citizen: Citizen = Depends(known_citizen), sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    return sim.set_following(citizen.user_id, True).to_json()


@router.post("/citizens/{user_id}/unfollow")
async def unfollow(citizen: Citizen = Depends(known_citizen), sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    return sim.set_following(citizen.user_id, False).to_json()


@router.post("/citizens/{user_id}/chatnow")
async def click_chatnow(citizen: Citizen = Depends(known_citizen), sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    return sim.click_chatnow(citizen.user_id).to_json()


@router.post("/citizens/{user_id}/withdraw")
async def withdraw(citizen: Citizen = Depends(known_citizen), sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    return sim.withdraw(citizen.user_id).to_json()


@router.get("/citizens/{user_id}/conversation")
async def conversation(citizen: Citizen = Depends(known_citizen), sim: Simulator = Depends(get_simulator)) -> dict[str, object]:
    messages = sim.conversation(citizen.user_id)
    return {"citizen": citizen.to_json(), "messages": [message.to_json() for message in messages]}


@router.post("/citizens/{user_id}/messages", status_code=201)
async def citizen_sends_text(
    body: TextMessage, citizen: Citizen = Depends(known_citizen), sim: Simulator = Depends(get_simulator)
) -> dict[str, object]:
    return sim.citizen_sends_text(citizen.user_id, body.text).to_json()


@router.post("/citizens/{user_id}/button-taps", status_code=201)
async def citizen_taps_button(
    body: ButtonTap, citizen: Citizen = Depends(known_citizen), sim: Simulator = Depends(get_simulator)
) -> dict[str, object]:
    try:
        return sim.citizen_taps_button(citizen.user_id, body.msg_id, body.index).to_json()
    except NoSuchButton as exc:
        raise HTTPException(404, "Tin nhắn này không có nút gửi câu hỏi ở vị trí đó") from exc


@router.post("/citizens/{user_id}/attachments", status_code=201)
async def citizen_sends_attachment(
    body: Attachment, request: Request, citizen: Citizen = Depends(known_citizen), sim: Simulator = Depends(get_simulator)
) -> dict[str, object]:
    base = str(request.url_for("zalo_sim_page")).rstrip("/")
    if body.type == "sticker":
        if body.sticker_id not in attachments.STICKERS:
            raise HTTPException(422, f"Không có sticker {body.sticker_id!r}")
        attachment = attachments.sticker(base, body.sticker_id)
    elif body.type == "image":
        attachment = attachments.image(base, body.url)
    elif body.type == "file":
        attachment = attachments.file(base)
    else:
        attachment = attachments.location(body.latitude, body.longitude)
    return sim.citizen_sends_attachment(citizen.user_id, attachment, body.text).to_json()


@router.post("/citizens/{user_id}/officer-messages", status_code=201)
async def officer_sends_text(
    body: OfficerMessage, citizen: Citizen = Depends(known_citizen), sim: Simulator = Depends(get_simulator)
) -> dict[str, object]:
    return sim.officer_sends_text(citizen.user_id, body.text, body.admin_id).to_json()

"""Files behind the simulator's attachment and avatar URLs, at /zalo-sim/media."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response

from bot.zalo_sim import attachments
from bot.zalo_sim.dependencies import get_simulator
from bot.zalo_sim.simulator import Simulator, UnknownCitizen

router = APIRouter(prefix="/zalo-sim/media", tags=["zalo-sim: media"])

_SVG = "image/svg+xml"


@router.get("/avatar/{user_id}.svg", name="citizen_avatar")
async def avatar(user_id: str, sim: Simulator = Depends(get_simulator)) -> Response:
    try:
        citizen = sim.citizen(user_id)
    except UnknownCitizen as exc:
        raise HTTPException(404, "Không có ảnh đại diện này") from exc
    return Response(attachments.avatar_svg(citizen.display_name, citizen.user_id), media_type=_SVG)


@router.get("/sticker/{sticker_id}.svg", name="zalo_sim_sticker")
async def sticker(sticker_id: str) -> Response:
    if sticker_id not in attachments.STICKERS:
        raise HTTPException(404, "Không có sticker này")
    return Response(attachments.sticker_svg(sticker_id), media_type=_SVG)


@router.get("/image/giay-to-mau.svg")
async def sample_image() -> Response:
    return Response(attachments.sample_image_svg(), media_type=_SVG)


@router.get(f"/file/{attachments.SAMPLE_FILE_NAME}")
async def sample_file() -> Response:
    return Response(attachments.SAMPLE_FILE, media_type="text/plain; charset=utf-8")

"""The chat page at /zalo-sim/: a citizen's Zalo app on the left, the OA chat tool on the right."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from bot.zalo_sim import attachments
from bot.zalo_sim.dependencies import get_simulator
from bot.zalo_sim.simulator import Simulator

_PACKAGE = Path(__file__).resolve().parent.parent
_STATIC_TYPES = {"chat.css": "text/css", "chat.js": "text/javascript"}

router = APIRouter(prefix="/zalo-sim", tags=["zalo-sim: chat page"])
templates = Jinja2Templates(directory=_PACKAGE / "templates")


@router.get("/", response_class=HTMLResponse, name="zalo_sim_page")
async def chat_page(request: Request, sim: Simulator = Depends(get_simulator)) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "chat.html", {"stickers": attachments.STICKERS, "oa_id": sim.settings.oa_id}
    )


@router.get("/static/{name}", name="zalo_sim_static")
async def static_file(name: str) -> FileResponse:
    if name not in _STATIC_TYPES:
        raise HTTPException(404, "Không có tệp này")
    return FileResponse(_PACKAGE / "static" / name, media_type=_STATIC_TYPES[name])

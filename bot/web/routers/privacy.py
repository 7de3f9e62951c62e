"""Citizens' personal data: the admins' page /quan-tri/du-lieu-ca-nhan (retention period, a copy
for a citizen, erasure with a reason) and the public privacy page the bot's notice links to.

The work is done by bot.privacy; this module only reads forms and renders.
"""
from __future__ import annotations

import json
import re

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import Engine

from bot import paths
from bot.core.ports import OrderedErasure
from bot.handoff.audit import audit
from bot.handoff.staff import ADMIN, Session, Staff
from bot.privacy import (
    ADMIN as BY_ADMIN, PAGE_PATH, PrivacyError, erase_citizen, export_citizen, recent_erasures, retention_months,
    subject_hash,
)
from bot.web import services
from bot.web.auth import check_csrf, require_role
from bot.web.pages import PageRoute, redirect, render, sentence

router = APIRouter(route_class=PageRoute, tags=["personal data"])
admin_only = require_role(ADMIN)
ADMIN_PATH = "/quan-tri/du-lieu-ca-nhan"
PRIVACY_DOC = paths.ROOT / "docs" / "privacy.md"


def _page(request: Request, db: Engine, error: str = "", form: dict | None = None, erased: int | None = None,
          status: int = 200) -> Response:
    return render(request, "admin_privacy.html", {
        "months": retention_months(), "erasures": recent_erasures(db), "error": error, "form": form or {},
        "erased": erased, "section": "privacy", "public_path": PAGE_PATH,
    }, status=status)


@router.get(ADMIN_PATH)
def privacy_admin_page(request: Request, xoa: str = "", member: Staff = Depends(admin_only),
                       db: Engine = Depends(services.engine)) -> Response:
    return _page(request, db, erased=int(xoa) if xoa.isdigit() and len(xoa) < 10 else None)


@router.post(f"{ADMIN_PATH}/ban-sao")
def export_copy(request: Request, citizen_id: str = Form(""), _: Session = Depends(check_csrf),
                member: Staff = Depends(admin_only), db: Engine = Depends(services.engine)) -> Response:
    try:
        copy = export_citizen(db, citizen_id)
    except PrivacyError as exc:
        return _page(request, db, sentence(str(exc)), {"citizen_id": citizen_id}, status=400)
    with db.begin() as conn:
        audit(conn, member.id, member.username, "privacy.export", detail=f"mã băm {subject_hash(copy['citizen'])[:12]}")
    return Response(json.dumps(copy, ensure_ascii=False, indent=2), media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="du-lieu-cong-dan.json"'})


@router.post(f"{ADMIN_PATH}/xoa")
async def erase(request: Request, citizen_id: str = Form(""), reason: str = Form(""), confirm: str = Form(""),
                _: Session = Depends(check_csrf), member: Staff = Depends(admin_only),
                db: Engine = Depends(services.engine),
                erase_in_order: OrderedErasure | None = Depends(services.ordered_erasure)) -> Response:
    form = {"erase_id": citizen_id, "reason": reason}
    if confirm != "1":
        return await run_in_threadpool(
            _page, request, db, "Hãy đánh dấu ô xác nhận: dữ liệu đã xóa không khôi phục được.", form, status=400)
    try:
        if erase_in_order is not None:  # in the citizen's event order: never under a turn in flight
            erasure = await erase_in_order(citizen_id.strip(), BY_ADMIN, reason, member.id, member.username)
        else:
            erasure = await run_in_threadpool(erase_citizen, db, citizen_id, BY_ADMIN, reason, member.id, member.username)
    except PrivacyError as exc:
        return await run_in_threadpool(_page, request, db, sentence(str(exc)), form, status=400)
    return redirect(f"{ADMIN_PATH}?xoa={erasure.id}")


@router.get(PAGE_PATH)
def privacy_page(request: Request) -> Response:
    """docs/privacy.md for citizens, whom the bot's notice sends here."""
    return render(request, "privacy.html", {
        "blocks": markdown_blocks(PRIVACY_DOC.read_text(encoding="utf-8")), "months": retention_months()})


def markdown_blocks(text: str) -> list[tuple[str, object]]:
    """The plain Markdown of docs/privacy.md as (kind, content) blocks: h1, h2, p, ul."""
    blocks: list[tuple[str, object]] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if lines and lines[0].startswith("#"):
            level = "h1" if lines[0].startswith("# ") else "h2"
            blocks.append((level, lines[0].lstrip("#").strip()))
            lines = lines[1:]
        if lines and all(line.startswith(("- ", "* ")) for line in lines):
            blocks.append(("ul", [_inline(line[2:]) for line in lines]))
        elif lines:
            blocks.append(("p", _inline(" ".join(lines))))
    return blocks


def _inline(text: str) -> str:
    """Markdown emphasis and links reduced to plain words (the page escapes everything)."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    return text.replace("**", "").replace("`", "")

"""The knowledge base as a spreadsheet, for editors, under /bien-tap/tap-tin: download it (XLSX or
CSV) or its empty template, and upload a changed file.

An upload is checked row by row first (bot/faq/spreadsheet.py); with any problem nothing changes
and the page lists every problem by row and column. Otherwise the file replaces the knowledge base
in one transaction (KnowledgeStore.replace_all: FAQs missing from the file are retired, not
deleted, and the import is audited in that transaction) and the page says how many FAQs changed.
A refused import is audited too: then the audit row is the only thing written.
"""
from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from typing import Any, Mapping, Optional

from fastapi import APIRouter, Depends, File, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.db import kb_faq
from bot.faq.spreadsheet import (
    CellTooLong, ParsedImport, Problem, export_csv, export_xlsx, parse_upload, problem_column, template_csv,
    template_xlsx,
)
from bot.faq.store import FaqInvalid, KnowledgeStore, snapshot
from bot.handoff.audit import audit
from bot.handoff.departments import Departments
from bot.handoff.office_hours import VIETNAM
from bot.handoff.staff import EDITOR, Session, Staff
from bot.web import services
from bot.web.auth import check_csrf, require_role
from bot.web.pages import PageError, PageRoute, render, sentence

router = APIRouter(route_class=PageRoute, tags=["editing: spreadsheets"])
editor_only = require_role(EDITOR)

BASE = "/bien-tap/tap-tin"
UPLOAD_LIMIT = 25 * 1024 * 1024  # a 2,000-FAQ knowledge base is about 15 MB as CSV, 4 MB as XLSX
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _today() -> str:
    return datetime.now(VIETNAM).strftime("%Y-%m-%d")


def _page(request: Request, store: KnowledgeStore, status: int = 200, **context) -> Response:
    with store.engine.connect() as conn:  # the counts only, not every FAQ's questions
        flags = conn.execute(select(kb_faq.c.active)).scalars().all()
    return render(request, "kb_files.html", {
        "total": len(flags), "active": sum(map(bool, flags)), "base": BASE,
        "limit_mb": UPLOAD_LIMIT // (1024 * 1024), **context,
    }, status=status)


@router.get(BASE)
def files_page(request: Request, member: Staff = Depends(editor_only),
               store: KnowledgeStore = Depends(services.knowledge_store)) -> Response:
    return _page(request, store)


@router.get(BASE + "/kho-kien-thuc.xlsx")
def download_xlsx(member: Staff = Depends(editor_only), store: KnowledgeStore = Depends(services.knowledge_store),
                  units: Departments = Depends(services.departments)) -> Response:
    try:
        content = export_xlsx(store.all(), units.all())
    except CellTooLong as exc:  # Excel would cut the cell: refuse rather than lose text
        raise PageError(409, str(exc)) from None
    return _download(content, XLSX_TYPE, f"kho-kien-thuc-{_today()}.xlsx")


@router.get(BASE + "/kho-kien-thuc.csv")
def download_csv(member: Staff = Depends(editor_only),
                 store: KnowledgeStore = Depends(services.knowledge_store)) -> Response:
    return _download(export_csv(store.all()), CSV_TYPE, f"kho-kien-thuc-{_today()}.csv")


@router.get(BASE + "/mau.xlsx")
def download_template_xlsx(member: Staff = Depends(editor_only),
                           units: Departments = Depends(services.departments)) -> Response:
    return _download(template_xlsx(units.all()), XLSX_TYPE, "mau-kho-kien-thuc.xlsx")


@router.get(BASE + "/mau.csv")
def download_template_csv(member: Staff = Depends(editor_only)) -> Response:
    return _download(template_csv(), CSV_TYPE, "mau-kho-kien-thuc.csv")


async def parse_apart(filename: str, content: bytes, departments: Mapping[str, str], unit: Mapping[str, Any]) -> ParsedImport:
    """parse_upload in a process of its own: reading a large workbook is pure Python and, in a
    thread, held the interpreter lock long enough to delay Zalo's acknowledgements by seconds; its
    memory goes back to the system with the process."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as apart:
        return await asyncio.get_running_loop().run_in_executor(
            apart, parse_upload, filename, content, dict(departments), dict(unit))


@router.post(BASE)
async def import_file(request: Request, tep: Optional[UploadFile] = File(None), _: Session = Depends(check_csrf),
                      member: Staff = Depends(editor_only), store: KnowledgeStore = Depends(services.knowledge_store),
                      units: Departments = Depends(services.departments),
                      db: Engine = Depends(services.engine)) -> Response:
    filename = (tep.filename or "").strip() if tep is not None else ""
    if tep is None or not filename:
        return await run_in_threadpool(_page, request, store, 400, filename="",
                                       problems=[Problem(None, None, "Hãy chọn một tệp .xlsx hoặc .csv để nhập.")])
    content = await tep.read(UPLOAD_LIMIT + 1)
    if len(content) > UPLOAD_LIMIT:
        parsed = ParsedImport(problems=[Problem(None, None, f"Tệp lớn hơn {UPLOAD_LIMIT // (1024 * 1024)} MB, hệ thống "
                                                            "không nhận. Hãy xóa các cột, trang không cần thiết rồi thử lại.")])
    elif not content:
        parsed = ParsedImport(problems=[Problem(None, None, "Tệp trống (0 byte).")])
    else:
        departments = {d.code: d.name for d in await run_in_threadpool(units.all)}
        parsed = await parse_apart(filename, content, departments, store.unit)
    return await run_in_threadpool(_apply, request, filename, parsed, member, store, db)


def _apply(request: Request, filename: str, parsed: ParsedImport, member: Staff, store: KnowledgeStore,
           db: Engine) -> Response:
    if parsed.problems:
        _audit_refusal(db, member, filename, len(parsed.problems))
        return _page(request, store, 400, filename=filename, problems=parsed.problems)

    before = {r.faq.id: r for r in store.all()}
    try:
        changed = store.replace_all(parsed.records, member, checked=True, source=filename)
    except FaqInvalid as refused:  # checks the file passed but the store refused: say so, nothing changed
        problems = [Problem(None, problem_column(p), sentence(p)) for p in refused.problems]
        _audit_refusal(db, member, filename, len(problems))
        return _page(request, store, 400, filename=filename, problems=problems)
    summary = _summary(before, parsed.records)
    return _page(request, store, filename=filename, changed=changed, summary=summary, warnings=parsed.warnings,
                 rows=len(parsed.records))


def _summary(before: dict, records: list) -> dict[str, int]:
    imported = {faq.id for faq, _ in records}
    added = sum(1 for faq, _ in records if faq.id not in before)
    edited = sum(1 for faq, active in records if faq.id in before
                 and snapshot(before[faq.id].faq, before[faq.id].active) != snapshot(faq, active))
    retired = sum(1 for faq_id, record in before.items() if faq_id not in imported and record.active)
    return {"added": added, "edited": edited, "retired": retired}


def _audit_refusal(db: Engine, member: Staff, filename: str, problems: int) -> None:
    """Nothing changed, so the refusal's audit row is the transaction's only write."""
    with db.begin() as conn:
        audit(conn, member.id, member.username, "kb.import_refused", detail=f"{filename}: {problems} lỗi, không thay đổi gì")

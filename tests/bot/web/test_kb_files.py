"""The knowledge base as a spreadsheet through HTTP (/bien-tap/tap-tin), on both databases: who may
use it, downloads that import back to "0 thay đổi", and broken files that get a report by row and
column while the knowledge base stays exactly as it was.

Only the last test changes a knowledge base, and it does so on its own SQLite database: the shared
databases (PostgreSQL keeps its tables between runs) are never changed here.
"""
from __future__ import annotations

import asyncio
import csv
import html
import io
import re
import uuid

import httpx
import pytest
from sqlalchemy import create_engine, select

from bot.db import audit_log
from bot.faq.spreadsheet import (
    ACTIVE, ANSWER, COLUMNS, DEPARTMENT, KEYWORDS, QUESTION, STYLE_COLUMNS, TOPIC, faq_cells, parse_upload,
)
from bot.faq.store import KnowledgeStore
from bot.handoff.departments import Departments
from bot.handoff.staff import EDITOR, StaffDirectory
from bot.migrate import upgrade
from bot.web.routers import kb_files
from tests.bot.faq.test_spreadsheet import csv_of, set_cell, xlsx_of
from tests.bot.web.conftest import PASSWORD, Actor, build_app
from tests.connectors.zalo.conftest import FakeZalo

BASE = "/bien-tap/tap-tin"
PAGES = [BASE, f"{BASE}/kho-kien-thuc.xlsx", f"{BASE}/kho-kien-thuc.csv", f"{BASE}/mau.xlsx", f"{BASE}/mau.csv"]


@pytest.fixture(scope="module")
def world(inbox):
    """The inbox's staff (removed after the module by its cleanup) plus an editor."""
    member = inbox.directory.create(f"{inbox.prefix}.bientap", "Đỗ Thu Hà", PASSWORD, EDITOR)
    token, csrf = inbox.directory.start_session(member)
    inbox.actors["editor"] = Actor(member, token, csrf)
    return inbox


def upload(app, actor: Actor | None, name: str | None, content: bytes, csrf: bool = True) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://web.test",
                                     cookies=actor.cookies if actor else {}) as client:
            data = {"csrf_token": actor.csrf} if csrf and actor and actor.csrf else {}
            files = {"tep": (name, content, "application/octet-stream")} if name is not None else None
            return await client.post(BASE, data=data, files=files)
    return asyncio.run(go())


def state(engine) -> list:
    """Everything an import could change, FAQ by FAQ."""
    return [(r.faq, r.active, r.version, r.updated_at, r.updated_by) for r in KnowledgeStore(engine).all()]


def exported_rows(engine) -> list[list[str]]:
    return [list(COLUMNS)] + [faq_cells(r.faq, r.active) for r in KnowledgeStore(engine).all()]


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


# ---- access
@pytest.mark.parametrize("path", PAGES)
def test_only_editors_open_the_pages_and_downloads(world, path):
    response = world.get(world["anonymous"], path)
    assert response.status_code == 303 and response.headers["location"].startswith("/dang-nhap?next=")
    for role in ("officer", "leader"):
        assert world.get(world[role], path).status_code == 403
    for role in ("editor", "admin"):  # an admin may do everything
        assert world.get(world[role], path).status_code == 200


def test_upload_needs_an_editor_and_the_csrf_token(world, db_engine):
    before = state(db_engine)
    content = csv_of(exported_rows(db_engine))
    anonymous = upload(world.app, world["anonymous"], "kho.csv", content)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/dang-nhap"
    assert upload(world.app, world["officer"], "kho.csv", content).status_code == 403
    refused = upload(world.app, world["editor"], "kho.csv", content, csrf=False)
    assert refused.status_code == 403 and "mã bảo vệ" in refused.text
    assert state(db_engine) == before


def test_the_page_says_what_an_import_does(world):
    page = text_of(world.get(world["editor"], BASE))
    assert "thay cho toàn bộ kho kiến thức" in page and "ngừng dùng" in page
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    assert '<a href="/bien-tap/" aria-current="page">Biên tập</a>' in page


# ---- downloads and the round trip
def test_downloads_are_the_whole_knowledge_base_and_import_back_unchanged(world, db_engine):
    before = state(db_engine)
    store = KnowledgeStore(db_engine)
    codes = {d.code for d in Departments(db_engine).all()}
    for path, name, media in ((f"{BASE}/kho-kien-thuc.xlsx", "kho.xlsx", "spreadsheetml"), (f"{BASE}/kho-kien-thuc.csv", "kho.csv", "text/csv")):
        download = world.get(world["editor"], path)
        assert download.status_code == 200 and media in download.headers["content-type"]
        assert download.headers["content-disposition"].startswith('attachment; filename="kho-kien-thuc-')
        parsed = parse_upload(name, download.content, codes, store.unit)
        assert parsed.problems == [] and parsed.records == [(r.faq, r.active) for r in store.all()]
        response = upload(world.app, world["editor"], name, download.content)
        assert response.status_code == 200, response.text
        assert "0 thay đổi" in text_of(response)
        assert state(db_engine) == before
    with db_engine.connect() as conn:
        details = conn.execute(select(audit_log.c.detail).where(
            (audit_log.c.action == "kb.import") & (audit_log.c.staff_id == world["editor"].staff.id))).scalars().all()
    assert len(details) >= 2 and all("0 thay đổi" in d for d in details)
    assert world.get(world["editor"], f"{BASE}/kho-kien-thuc.csv").content.startswith(b"\xef\xbb\xbf")


# ---- broken files: a report, and nothing changed
def broken_files(rows):
    """name -> (file name, content, [(row, column) the report must name])."""
    def edited(*changes, kind="csv"):
        copy = [list(r) for r in rows]
        for row, column, value in changes:
            set_cell(copy, row, column, value)
        return ("kho.xlsx", xlsx_of(copy)) if kind == "xlsx" else ("kho.csv", csv_of(copy))

    without_keywords = [[c for i, c in enumerate(r) if COLUMNS[i] != KEYWORDS] for r in rows]
    question_of_row_3 = rows[2][COLUMNS.index(QUESTION)]
    return {
        "missing column": (("kho.csv", csv_of(without_keywords)), [(1, KEYWORDS)]),
        "unknown department": (edited((4, DEPARTMENT, "phong_khong_co")), [(4, DEPARTMENT)]),
        "empty answer": (edited((5, ANSWER, "")), [(5, ANSWER)]),
        "answer over 2,000 characters": (edited((6, ANSWER, "Trả lời rất dài. " * 130), kind="xlsx"), [(6, ANSWER)]),
        "one question under two FAQs": (edited((7, STYLE_COLUMNS["short"], question_of_row_3)),
                                        [(3, QUESTION), (7, STYLE_COLUMNS["short"])]),
        "wrong encoding": (("kho.csv", csv_of(rows, encoding="cp1258")), [(None, None)]),
        "formula in xlsx": (edited((8, TOPIC, "=A1&B1"), kind="xlsx"), [(8, TOPIC)]),
        "formula in csv": (edited((9, ANSWER, "=HYPERLINK(\"http://x.example\")")), [(9, ANSWER)]),
        "bad active flag": (edited((10, ACTIVE, "có lẽ")), [(10, ACTIVE)]),
        "over-long cell": (edited((11, KEYWORDS, "x" * 40000)), [(11, KEYWORDS)]),
        "several problems": (edited((2, ANSWER, ""), (12, DEPARTMENT, "khong_co"), (41, ACTIVE, "")),
                             [(2, ANSWER), (12, DEPARTMENT), (41, ACTIVE)]),
        "not a spreadsheet": (("kho.pdf", b"%PDF-1.4"), [(None, None)]),
        "empty file": (("kho.csv", b""), [(None, None)]),
        "headers only": (("kho.csv", csv_of(rows[:1])), [(None, None)]),
    }


CASES = list(broken_files([list(COLUMNS)] * 42))  # the names only; the files are built per database


@pytest.mark.parametrize("case", CASES)
def test_a_broken_file_is_reported_by_row_and_column_and_changes_nothing(world, db_engine, case):
    (name, content), places = broken_files(exported_rows(db_engine))[case]
    before = state(db_engine)
    response = upload(world.app, world["editor"], name, content)
    assert response.status_code == 400
    page = text_of(response)
    assert "Kho kiến thức giữ nguyên, không có gì thay đổi" in page
    report = page[page.index('id="bao-cao-loi"'):]
    cells = [[html.unescape(c) for c in row] for row in _table_rows(report)]
    for row, column in places:
        assert [str(row) if row else "Cả tệp", column or "—"] in [c[:2] for c in cells], (case, cells)
    assert state(db_engine) == before


def _table_rows(report: str) -> list[list[str]]:
    body = report[report.index("<tbody>"):report.index("</tbody>")]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_a_missing_file_and_a_too_big_file_are_refused(world, db_engine, monkeypatch):
    before = state(db_engine)
    assert "Hãy chọn một tệp" in text_of(upload(world.app, world["editor"], None, b""))
    monkeypatch.setattr(kb_files, "UPLOAD_LIMIT", 1000)
    response = upload(world.app, world["editor"], "kho.csv", csv_of(exported_rows(db_engine)))
    assert response.status_code == 400 and "Tệp lớn hơn" in text_of(response)
    assert state(db_engine) == before


def test_refused_imports_are_audited(world, db_engine):
    upload(world.app, world["editor"], "hong.csv", b"")
    with db_engine.connect() as conn:
        details = conn.execute(select(audit_log.c.detail).where(
            (audit_log.c.action == "kb.import_refused") & (audit_log.c.staff_id == world["editor"].staff.id))).scalars().all()
    assert any(d.startswith("hong.csv: 1 lỗi") for d in details)


# ---- an import that changes things, on a database of its own
def test_an_import_adds_edits_and_retires_in_one_go(tmp_path):
    url = f"sqlite:///{tmp_path / 'kho.db'}"
    upgrade(url)
    engine = create_engine(url, future=True)
    try:
        directory = StaffDirectory(engine)
        member = directory.create(f"t{uuid.uuid4().hex[:6]}.bientap", "Đỗ Thu Hà", PASSWORD, EDITOR)
        token, csrf = directory.start_session(member)
        editor = Actor(member, token, csrf)
        app = build_app(engine, FakeZalo())
        store = KnowledgeStore(engine)
        rows = exported_rows(engine)
        retired_id = rows.pop(3)[0]  # left out: retired
        set_cell(rows, 2, ANSWER, rows[1][COLUMNS.index(ANSWER)] + "\nLưu ý: mang theo bản chính để đối chiếu.")
        new = list(rows[4])
        new[0] = "faq_moi_tu_tep"
        for column in (QUESTION, *STYLE_COLUMNS.values()):
            lines = new[COLUMNS.index(column)].split("\n")
            new[COLUMNS.index(column)] = "\n".join(f"{line} (bản mới)" for line in lines if line)
        rows.append(new)
        response = upload(app, editor, "kho.xlsx", xlsx_of(rows))
        assert response.status_code == 200, response.text
        page = text_of(response)
        assert "3 thay đổi" in page and "Thêm mới 1, sửa 1, ngừng dùng 1" in page
        assert store.get(retired_id).active is False
        assert store.get("faq_moi_tu_tep").active is True
        assert store.get(rows[1][0]).faq.answer.endswith("đối chiếu.")
        again = upload(app, editor, "kho.xlsx", xlsx_of(rows))
        assert "0 thay đổi" in text_of(again)
    finally:
        engine.dispose()


def test_csv_rows_are_crlf_terminated_in_the_download(world):
    content = world.get(world["editor"], f"{BASE}/kho-kien-thuc.csv").content.decode("utf-8-sig")
    assert content.startswith(",".join(COLUMNS) + "\r\n")
    assert len(list(csv.reader(io.StringIO(content, newline="")))) == 1 + len(KnowledgeStore(world.engine).all())

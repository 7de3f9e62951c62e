"""Curation pages under /bien-tap/, through HTTP, on both databases: access, CSRF, search without
diacritics, editing with the Zalo preview, history diffs, two editors saving the same FAQ, variants,
retiring, new FAQs, the messages the bot could not answer, "dạy bot" from a ticket, conflicts and
publishing with a fake publisher.

Every FAQ a test changes is put back exactly as it was (content, version, revisions) and every row
added is deleted: PostgreSQL keeps its tables between runs.
"""
from __future__ import annotations

import asyncio
import html
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import delete, insert, select, update

from bot.db import audit_log, decision_log, kb_faq, kb_question, kb_reviewed_message, kb_revision, kb_suggestion, model_release
from bot.faq.editing import blank_faq, diff, preview, read_form
from bot.faq.knowledge_base import QUESTION_STYLES
from bot.faq.publish import BUSY, LIVE, QUEUED, REFUSED, RETIRED, TRAINING, PublishRequest, Release
from bot.faq.store import FaqRecord, KnowledgeStore
from bot.handoff.staff import EDITOR, Staff
from bot.web.routers.curation import CONFIDENCE_MEANINGS, publish_state
from tests.bot.web.conftest import PASSWORD, Actor

FAQ = "khai_sinh"  # edited by the tests (and put back)
OTHER_FAQ = "ket_hon"


@dataclass
class Curation:
    inbox: Any
    store: KnowledgeStore
    editor: Actor
    second_editor: Actor
    originals: dict[str, FaqRecord] = field(default_factory=dict)
    created: set[str] = field(default_factory=set)
    decision_ids: list[int] = field(default_factory=list)

    def touch(self, faq_id: str) -> FaqRecord:
        """Remember a FAQ as it is, to put it back after the module."""
        record = self.store.get(faq_id)
        self.originals.setdefault(faq_id, record)
        return record

    def get(self, actor: Actor | None, path: str):
        return self.inbox.get(actor, path)

    def post(self, actor: Actor | None, path: str, data: Any = None, csrf: bool = True):
        return self.inbox.post(actor, path, data, csrf=csrf)

    def decision(self, text: str, kind: str = "handoff", candidates: tuple[str, ...] = (), ago: timedelta = timedelta(0)) -> int:
        with self.inbox.engine.begin() as conn:
            row_id = int(conn.execute(insert(decision_log).values(
                created_at=datetime.now(timezone.utc) - ago, sender_id=f"{self.inbox.prefix}-citizen", channel="zalo",
                text=text, decision=kind, intent=None, faq_id=None, confidence=0.3, department=None,
                candidates=json.dumps(list(candidates)), reason="test",
            )).inserted_primary_key[0])
        self.decision_ids.append(row_id)
        return row_id

    def reviewed(self, ids: list[int]) -> dict[int, tuple[str, str | None]]:
        with self.inbox.engine.connect() as conn:
            rows = conn.execute(select(kb_reviewed_message).where(kb_reviewed_message.c.decision_id.in_(ids)))
            return {r.decision_id: (r.outcome, r.faq_id) for r in rows}

    def audited(self, action: str, actor: Actor) -> list[str]:
        with self.inbox.engine.connect() as conn:
            return conn.execute(select(audit_log.c.detail).where(
                (audit_log.c.action == action) & (audit_log.c.staff_id == actor.staff.id))).scalars().all()


@pytest.fixture(scope="module")
def kb_world(inbox):
    directory = inbox.directory
    editors = []
    for name, display in (("bientap1", "Đỗ Thu Hà"), ("bientap2", "Vũ Minh Khoa")):
        member = directory.create(f"{inbox.prefix}.{name}", display, PASSWORD, EDITOR)
        token, csrf = directory.start_session(member)
        editors.append(Actor(member, token, csrf))
    world = Curation(inbox, KnowledgeStore(inbox.engine), editors[0], editors[1])
    yield world
    restore(world)


def restore(world: Curation) -> None:
    """Put back every FAQ a test changed, delete the FAQs and rows the tests made."""
    engine = world.inbox.engine
    prefix = world.inbox.prefix
    with engine.begin() as conn:
        for faq_id, original in world.originals.items():
            conn.execute(delete(kb_revision).where((kb_revision.c.faq_id == faq_id) & (kb_revision.c.version > original.version)))
            columns = KnowledgeStore._columns(original.faq, original.active, original.updated_by)
            columns["updated_at"] = original.updated_at
            conn.execute(update(kb_faq).where(kb_faq.c.id == faq_id).values(version=original.version, **columns))
            conn.execute(delete(kb_question).where(kb_question.c.faq_id == faq_id))
            KnowledgeStore._write_questions(conn, original.faq)
        created = [faq_id for faq_id in conn.execute(select(kb_faq.c.id).where(kb_faq.c.id.like(f"{prefix}%"))).scalars()]
        created += list(world.created)
        if created:
            conn.execute(delete(kb_question).where(kb_question.c.faq_id.in_(created)))
            conn.execute(delete(kb_revision).where(kb_revision.c.faq_id.in_(created)))
            conn.execute(delete(kb_faq).where(kb_faq.c.id.in_(created)))
        conn.execute(delete(kb_suggestion).where(kb_suggestion.c.username.like(f"{prefix}%")))
        ids = conn.execute(select(decision_log.c.id).where(decision_log.c.sender_id.like(f"{prefix}%"))).scalars().all()
        if ids:
            conn.execute(delete(kb_reviewed_message).where(kb_reviewed_message.c.decision_id.in_(ids)))
            conn.execute(delete(decision_log).where(decision_log.c.id.in_(ids)))
        conn.execute(delete(model_release).where(model_release.c.requested_by.like(f"{prefix}%")))


def form_of(record: FaqRecord, **changes: Any) -> dict[str, Any]:
    """The edit form as the page submits it, for `record`, with `changes`."""
    faq = record.faq
    data: dict[str, Any] = {
        "version": str(record.version), "title": faq.title, "question": faq.question, "department": faq.department,
        "topic": faq.topic, "answer": faq.answer, "legal_basis": "\n".join(faq.legal_basis), "citation": faq.citation,
        "keywords": "\n".join(faq.keywords), "excludes": "\n".join(faq.excludes), "confidence": faq.confidence,
        "them_cach_hoi": "", "covers_shown": "1", "covers": list(faq.covers),
    }
    if record.active:
        data["active"] = "1"
    for style in QUESTION_STYLES:
        data[f"q_{style}"] = list(faq.questions.get(style, ()))
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", page))


# ---- access
EDITOR_PAGES = ["/bien-tap/", f"/bien-tap/faq/{FAQ}", f"/bien-tap/faq/{FAQ}/lich-su", "/bien-tap/moi",
                "/bien-tap/xung-dot", "/bien-tap/chua-tra-loi", "/bien-tap/de-xuat", "/bien-tap/xuat-ban"]


@pytest.mark.parametrize("path", EDITOR_PAGES)
def test_editor_pages_are_for_editors_only(kb_world, path):
    inbox = kb_world.inbox
    anonymous = kb_world.get(inbox["anonymous"], path)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/dang-nhap?next=")
    assert kb_world.get(inbox["admin"], path).status_code == 200  # an admin may do everything
    for role in ("officer", "leader"):
        refused = kb_world.get(inbox[role], path)
        assert refused.status_code == 403, (role, path)
        assert "Biên tập viên" in _text(refused.text) or "biên tập viên" in _text(refused.text)
    page = kb_world.get(kb_world.editor, path)
    assert page.status_code == 200
    assert 'href="/static/curation.css"' in page.text and 'href="/bien-tap/"' in page.text  # nav link "Biên tập"
    assert "<script>" not in page.text and "style=" not in page.text  # the strict CSP: nothing inline


def test_editors_land_on_the_curation_pages(kb_world):
    async def log_in():
        async with kb_world.inbox.client() as client:
            page = await client.get("/dang-nhap")
            token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
            return await client.post("/dang-nhap", data={"username": kb_world.editor.staff.username, "password": PASSWORD,
                                                         "login_token": token})

    assert asyncio.run(log_in()).headers["location"] == "/bien-tap/"
    inbox = kb_world.get(kb_world.editor, "/inbox/")
    assert inbox.status_code == 303 and inbox.headers["location"] == "/bien-tap/"  # the brand link "/" leads there too


def test_officers_cannot_post_editor_actions(kb_world):
    before = kb_world.store.get(FAQ)
    response = kb_world.post(kb_world.inbox["officer"], f"/bien-tap/faq/{FAQ}", form_of(before, answer="Sửa trái phép."))
    assert response.status_code == 403
    assert kb_world.store.get(FAQ).version == before.version
    assert kb_world.post(kb_world.inbox["leader"], "/bien-tap/xuat-ban").status_code == 403


POSTS = [f"/bien-tap/faq/{FAQ}", "/bien-tap/moi", "/bien-tap/chua-tra-loi/them", "/bien-tap/chua-tra-loi/faq-moi",
         "/bien-tap/chua-tra-loi/bo-qua", "/bien-tap/de-xuat/1/them", "/bien-tap/de-xuat/1/bo-qua", "/bien-tap/xuat-ban",
         "/bien-tap/xuat-ban/1/quay-lai"]


@pytest.mark.parametrize("path", POSTS)
def test_every_post_needs_the_csrf_token(kb_world, path):
    before = kb_world.store.get(FAQ)
    response = kb_world.post(kb_world.editor, path, form_of(before, answer="Không có mã bảo vệ."), csrf=False)
    assert response.status_code == 403 and "mã bảo vệ" in response.text
    wrong = kb_world.post(kb_world.editor, path, {**form_of(before), "csrf_token": "sai"}, csrf=False)
    assert wrong.status_code == 403
    assert kb_world.store.get(FAQ).version == before.version
    assert kb_world.audited("csrf.refused", kb_world.editor)


def test_teaching_the_bot_needs_the_csrf_token(kb_world):
    officer = kb_world.inbox["officer"]
    response = kb_world.post(officer, "/inbox/tickets/1/day-bot", {"reply_id": "1"}, csrf=False)
    assert response.status_code == 403 and "mã bảo vệ" in response.text


# ---- list and search
def test_search_works_typed_without_diacritics(kb_world):
    page = kb_world.get(kb_world.editor, "/bien-tap/?q=so+do")
    assert page.status_code == 200
    found = list(dict.fromkeys(re.findall(r'href="/bien-tap/faq/([a-z0-9_]+)"', page.text)))
    assert set(found[:2]) == {"so_do_lan_dau", "sang_ten_so_do"}  # "sổ đỏ" in the title comes first
    assert "Cấp sổ đỏ (giấy chứng nhận) lần đầu" in _text(page.text)
    land = list(dict.fromkeys(re.findall(r'href="/bien-tap/faq/([a-z0-9_]+)"',
                                         kb_world.get(kb_world.editor, "/bien-tap/?q=cap+so+do+lan+dau").text)))
    assert land[0] == "so_do_lan_dau"
    births = set(re.findall(r'href="/bien-tap/faq/([a-z0-9_]+)"', kb_world.get(kb_world.editor, "/bien-tap/?q=khai+sinh").text))
    assert FAQ in births and "ket_hon" not in births
    nothing = kb_world.get(kb_world.editor, "/bien-tap/?q=xyzzy+khong+co")
    assert "Không có FAQ nào khớp" in _text(nothing.text)


def test_the_list_shows_every_faq_and_filters_by_state(kb_world):
    page = kb_world.get(kb_world.editor, "/bien-tap/")
    ids = set(re.findall(r'href="/bien-tap/faq/([a-z0-9_]+)"', page.text))
    assert len(ids) >= 41
    retired = kb_world.get(kb_world.editor, "/bien-tap/?trang_thai=ngung")
    assert FAQ not in set(re.findall(r'href="/bien-tap/faq/([a-z0-9_]+)"', retired.text))


# ---- the edit page and its preview
def test_the_edit_page_previews_the_answer_exactly_as_zalo_shows_it(kb_world):
    record = kb_world.store.get(FAQ)
    kb = kb_world.store.knowledge_base(active_only=False)
    page = kb_world.get(kb_world.editor, f"/bien-tap/faq/{FAQ}")
    bubble = re.search(r'<div class="zalo-bubble" data-preview[^>]*>(.*?)</div>', page.text, re.S).group(1)
    assert html.unescape(bubble) == kb.render_answer(FAQ)
    length = len(kb.render_answer(FAQ))
    assert f"{length:,}".replace(",", ".") + "/2.000 ký tự" in page.text
    assert f'name="version" value="{record.version}"' in page.text
    assert 'src="/static/curation.js"' in page.text
    unit = json.loads(html.unescape(re.search(r"data-unit='([^']*)'", page.text).group(1)))
    assert unit["hotline"] == kb.unit["hotline"]  # the preview script fills placeholders from these


def test_the_edit_page_says_what_each_confidence_level_means(kb_world):
    page = kb_world.get(kb_world.editor, f"/bien-tap/faq/{FAQ}")
    text = html.unescape(page.text)
    assert set(CONFIDENCE_MEANINGS) == {"high", "medium", "low"}
    for meaning in CONFIDENCE_MEANINGS.values():
        assert meaning in text
    assert "Thấp: có số liệu chưa kiểm chứng" in text


def test_preview_is_render_answer_and_shows_what_is_missing(kb_world):
    kb = kb_world.store.knowledge_base(active_only=False)
    faq = kb.faqs[FAQ]
    shown = preview(faq, kb.unit, kb.department_name(faq.department))
    assert shown.text == kb.render_answer(FAQ) and not shown.over and shown.unknown == ()
    broken = replace(faq, answer="Nộp tại {khong_co_o_nay} {{chú ý}} {unit_name}.")
    shown = preview(broken, kb.unit, "Tư pháp")
    assert shown.unknown == ("khong_co_o_nay",)
    assert shown.text.startswith(f"Nộp tại {{khong_co_o_nay}} {{chú ý}} {kb.unit['unit_name']}.")
    long = preview(replace(faq, answer="x" * 2000), kb.unit, "Tư pháp")
    assert long.over and long.length > 2000


def test_an_answer_over_the_limit_is_refused_and_the_input_kept(kb_world):
    record = kb_world.touch(FAQ)
    answer = "Nội dung quá dài. " * 130
    response = kb_world.post(kb_world.editor, f"/bien-tap/faq/{FAQ}", form_of(record, answer=answer))
    assert response.status_code == 400
    text = _text(response.text)
    assert "Chưa lưu được" in text and "quá 2000" in text
    assert "Nội dung quá dài. Nội dung quá dài." in text and 'class="counter over"' in response.text
    assert kb_world.store.get(FAQ).version == record.version


def test_edit_is_saved_audited_and_shown_in_history_with_a_diff(kb_world):
    record = kb_world.touch(FAQ)
    first_line = record.faq.answer.split("\n")[0]
    new_line = "Anh/chị cần Tờ khai và bản chính Giấy chứng sinh (bản sửa thử nghiệm)."
    answer = record.faq.answer.replace(first_line, new_line)
    response = kb_world.post(kb_world.editor, f"/bien-tap/faq/{FAQ}",
                             form_of(record, answer=answer, legal_basis="\n".join([*record.faq.legal_basis, "Luật thử nghiệm 2026"])))
    assert response.status_code == 303 and response.headers["location"] == f"/bien-tap/faq/{FAQ}?tb=saved"
    saved = kb_world.store.get(FAQ)
    assert saved.version == record.version + 1 and saved.faq.answer == answer and saved.updated_by == kb_world.editor.staff.username
    assert saved.faq.legal_basis[-1] == "Luật thử nghiệm 2026"
    assert kb_world.audited("kb.edit", kb_world.editor)
    assert "Đã lưu" in _text(kb_world.get(kb_world.editor, response.headers["location"]).text)

    history = kb_world.get(kb_world.editor, f"/bien-tap/faq/{FAQ}/lich-su")
    assert history.status_code == 200
    top = history.text.split('class="card revision"')[1]  # the newest revision first
    assert f"Bản {saved.version} · Sửa" in _text(top) and kb_world.editor.staff.display_name in top  # a name, not a login
    added = [html.unescape(t) for t in re.findall(r'<li class="diff-add">.*?<span class="diff-text">(.*?)</span>', top, re.S)]
    removed = [html.unescape(t) for t in re.findall(r'<li class="diff-del">.*?<span class="diff-text">(.*?)</span>', top, re.S)]
    assert new_line in added and "Luật thử nghiệm 2026" in added
    assert first_line in removed
    assert "Câu trả lời" in top and "Căn cứ pháp lý" in top and "Tiêu đề" not in top  # only what changed


def test_the_answers_sub_cases_are_ticked_saved_shown_again_and_in_the_history(kb_world):
    record = kb_world.touch(FAQ)
    assert record.faq.covers == ()
    page = _text(kb_world.get(kb_world.editor, f"/bien-tap/faq/{FAQ}").text)
    assert "Câu trả lời đã nói tới các trường hợp riêng (câu hỏi nêu trường hợp khác sẽ được chuyển cán bộ)" in page
    assert '<input type="checkbox" name="covers" value="foreign"> Có yếu tố nước ngoài' in page
    assert '<input type="checkbox" name="covers" value="penalty"> Bị xử phạt' in page

    response = kb_world.post(kb_world.editor, f"/bien-tap/faq/{FAQ}", form_of(record, covers=["penalty", "foreign"]))
    assert response.status_code == 303 and response.headers["location"] == f"/bien-tap/faq/{FAQ}?tb=saved"
    saved = kb_world.store.get(FAQ)
    assert saved.faq.covers == ("penalty", "foreign") and saved.version == record.version + 1
    page = _text(kb_world.get(kb_world.editor, f"/bien-tap/faq/{FAQ}").text)
    assert '<input type="checkbox" name="covers" value="foreign" checked> Có yếu tố nước ngoài' in page
    assert '<input type="checkbox" name="covers" value="penalty" checked> Bị xử phạt' in page
    assert '<input type="checkbox" name="covers" value="tax"> Về thuế, lệ phí trước bạ' in page
    # The page lists the boxes in file order (foreign first): sent back as they are, nothing changed.
    same = kb_world.post(kb_world.editor, f"/bien-tap/faq/{FAQ}", form_of(saved, covers=["foreign", "penalty"]))
    assert "tb=unchanged" in same.headers["location"] and kb_world.store.get(FAQ).version == saved.version

    top = kb_world.get(kb_world.editor, f"/bien-tap/faq/{FAQ}/lich-su").text.split('class="card revision"')[1]
    added = [html.unescape(t) for t in re.findall(r'<li class="diff-add">.*?<span class="diff-text">(.*?)</span>', top, re.S)]
    assert "Trường hợp riêng đã trả lời" in top and "Câu trả lời" not in top.replace("Trường hợp riêng đã trả lời", "")
    assert added == ["bị xử phạt (penalty)", "có yếu tố nước ngoài (foreign)"]

    cleared = kb_world.post(kb_world.editor, f"/bien-tap/faq/{FAQ}", form_of(saved, covers=None))
    assert cleared.status_code == 303 and kb_world.store.get(FAQ).faq.covers == ()
    # A name that is no class (a forged form) is refused with the editors' sentence, nothing saved.
    current = kb_world.store.get(FAQ)
    refused = kb_world.post(kb_world.editor, f"/bien-tap/faq/{FAQ}", form_of(current, covers=["fines"]))
    assert refused.status_code == 400 and "Trường hợp riêng “fines” không có trong danh sách" in _text(refused.text)
    assert kb_world.store.get(FAQ).version == current.version


def test_saving_without_a_change_makes_no_new_version(kb_world):
    record = kb_world.store.get(FAQ)
    response = kb_world.post(kb_world.editor, f"/bien-tap/faq/{FAQ}", form_of(record))
    assert response.status_code == 303 and "tb=unchanged" in response.headers["location"]
    assert kb_world.store.get(FAQ).version == record.version


def test_two_editors_saving_the_same_faq_the_second_is_told_and_loses_nothing(kb_world):
    opened = kb_world.touch(FAQ)
    # Both open version N.
    for actor in (kb_world.editor, kb_world.second_editor):
        assert f'name="version" value="{opened.version}"' in kb_world.get(actor, f"/bien-tap/faq/{FAQ}").text
    first = form_of(opened, title="Đăng ký khai sinh cho con (bản của người thứ nhất)")
    assert kb_world.post(kb_world.editor, f"/bien-tap/faq/{FAQ}", first).status_code == 303

    mine = "Đây là câu trả lời người thứ hai đã gõ rất lâu, không được mất."
    second = form_of(opened, answer=mine, them_cach_hoi="lam khai sinh cho be o xa nao")
    response = kb_world.post(kb_world.second_editor, f"/bien-tap/faq/{FAQ}", second)
    assert response.status_code == 409
    text = _text(response.text)
    first_name = kb_world.editor.staff.display_name
    assert f"{first_name} đã lưu bản mới lúc" in text
    assert mine in text and "lam khai sinh cho be o xa nao" in text  # the second editor's input, kept in the form
    now = kb_world.store.get(FAQ)
    assert now.version == opened.version + 1 and now.faq.title.endswith("(bản của người thứ nhất)")
    assert now.faq.answer == opened.faq.answer  # the database holds the first editor's save
    assert f'name="version" value="{now.version}"' in response.text  # saving again overwrites knowingly
    # The differences: the first editor's title only in the saved version, the second's answer only in theirs.
    removed = [html.unescape(t) for t in re.findall(r'<li class="diff-del">.*?<span class="diff-text">(.*?)</span>', response.text, re.S)]
    added = [html.unescape(t) for t in re.findall(r'<li class="diff-add">.*?<span class="diff-text">(.*?)</span>', response.text, re.S)]
    assert "Đăng ký khai sinh cho con (bản của người thứ nhất)" in removed and mine in added

    again = kb_world.post(kb_world.second_editor, f"/bien-tap/faq/{FAQ}", form_of(now, answer=mine))
    assert again.status_code == 303 and kb_world.store.get(FAQ).faq.answer == mine


def test_variants_are_added_and_removed(kb_world):
    record = kb_world.touch(OTHER_FAQ)
    removed = record.faq.questions["diacritics"][0]
    data = form_of(record, xoa=["diacritics:0"],
                   them_cach_hoi="Hai người ở hai xã khác nhau thì đăng ký kết hôn ở đâu?\nđang ky ket hon o xa nao\n\n"
                                 "dang ky ket hon o dau nhanh nhat")
    response = kb_world.post(kb_world.editor, f"/bien-tap/faq/{OTHER_FAQ}", data)
    assert response.status_code == 303, _text(response.text)[:2000]
    faq = kb_world.store.get(OTHER_FAQ).faq
    assert removed not in faq.questions["diacritics"]
    assert "Hai người ở hai xã khác nhau thì đăng ký kết hôn ở đâu?" in faq.questions["diacritics"]
    assert "dang ky ket hon o dau nhanh nhat" in faq.questions["no_diacritics"]
    assert "đang ky ket hon o xa nao" in faq.questions["diacritics"]
    history = _text(kb_world.get(kb_world.editor, f"/bien-tap/faq/{OTHER_FAQ}/lich-su").text)
    assert "Cách hỏi – có dấu" in history and "Cách hỏi – không dấu" in history


def test_a_faq_is_retired_and_activated_again(kb_world):
    record = kb_world.touch(OTHER_FAQ)
    response = kb_world.post(kb_world.editor, f"/bien-tap/faq/{OTHER_FAQ}", form_of(record, active=None))
    assert response.status_code == 303
    retired = kb_world.store.get(OTHER_FAQ)
    assert not retired.active and retired.faq == record.faq
    assert kb_world.audited("kb.retire", kb_world.editor)
    listed = kb_world.get(kb_world.editor, "/bien-tap/?trang_thai=ngung").text
    assert f'href="/bien-tap/faq/{OTHER_FAQ}"' in listed
    history = _text(kb_world.get(kb_world.editor, f"/bien-tap/faq/{OTHER_FAQ}/lich-su").text)
    assert f"Bản {retired.version} · Ngừng dùng" in history

    response = kb_world.post(kb_world.editor, f"/bien-tap/faq/{OTHER_FAQ}", form_of(retired, active="1"))
    assert response.status_code == 303 and kb_world.store.get(OTHER_FAQ).active
    assert kb_world.audited("kb.activate", kb_world.editor)


def test_a_new_faq_is_created_from_the_form(kb_world):
    faq_id = f"{kb_world.inbox.prefix}_nuoi_ong"
    kb_world.created.add(faq_id)
    data = {
        "id": faq_id, "title": "Nuôi ong trong khu dân cư", "question": "Nuôi ong trong khu dân cư có cần xin phép không?",
        "department": "van_hoa_xa_hoi", "topic": "Nông nghiệp", "answer": "Anh/chị liên hệ {unit_name} để được hướng dẫn.",
        "legal_basis": "Luật Chăn nuôi số 32/2018/QH14", "keywords": "nuôi ong", "excludes": "",
        "them_cach_hoi": "nuôi ong mật trong xóm có bị cấm không\nnuoi ong trong khu dan cu co can xin phep\nnuôi ong có phải đăng ký không",
    }
    blank = kb_world.get(kb_world.editor, "/bien-tap/moi")
    assert "Thêm FAQ mới" in _text(blank.text) and 'name="id"' in blank.text
    response = kb_world.post(kb_world.editor, "/bien-tap/moi", data)
    assert response.status_code == 303, _text(response.text)[:3000]
    created = kb_world.store.get(faq_id)
    assert created.active and created.version == 1 and created.faq.department == "van_hoa_xa_hoi"
    assert len(created.faq.training_questions()) == 4
    assert kb_world.audited("kb.create", kb_world.editor)
    missing = kb_world.post(kb_world.editor, "/bien-tap/moi", {**data, "id": f"{faq_id}_2", "legal_basis": ""})
    assert missing.status_code == 400 and "Thiếu căn cứ pháp lý" in _text(missing.text)
    assert "nuôi ong mật trong xóm có bị cấm không" in _text(missing.text)


# ---- what the bot could not answer
def test_unanswered_messages_are_grouped_and_added_to_a_faq(kb_world):
    record = kb_world.touch(OTHER_FAQ)
    ids = [
        kb_world.decision("cho em hỏi đăng ký kết hôn với người ở tỉnh khác làm ở đâu ạ", "clarify", (OTHER_FAQ, "khai_sinh")),
        kb_world.decision("đăng ký kết hôn với người ở tỉnh khác làm ở đâu", "handoff", (OTHER_FAQ,), timedelta(minutes=5)),
        kb_world.decision("dang ky ket hon voi nguoi o tinh khac lam o dau", "out_of_scope", (), timedelta(minutes=9)),
    ]
    other = kb_world.decision("nuôi chim yến trong nhà phố có cần giấy phép không", "out_of_scope")
    chat = kb_world.decision("alo", "handoff")
    page = kb_world.get(kb_world.editor, "/bien-tap/chua-tra-loi")
    assert page.status_code == 200
    groups = re.findall(r'<input type="hidden" name="decision_ids" value="([0-9,]+)">', page.text)
    mine = [g for g in dict.fromkeys(groups) if set(map(int, g.split(","))) & set(ids)]
    assert len(mine) == 1 and set(map(int, mine[0].split(","))) >= set(ids)
    assert str(other) not in mine[0].split(",")
    assert not any(str(chat) in g.split(",") for g in groups)  # smalltalk-like texts are left out
    card = page.text.split(f'id="nhom-{ids[0]}"')[1].split("</article>")[0]
    assert "Hỏi lại: 1" in _text(card) and "Chuyển cán bộ: 1" in _text(card) and f'value="{OTHER_FAQ}" selected' in card

    response = kb_world.post(kb_world.editor, "/bien-tap/chua-tra-loi/them", {
        "decision_ids": mine[0], "faq_id": OTHER_FAQ,
        "cach_hoi": ["đăng ký kết hôn với người ở tỉnh khác làm ở đâu", "dang ky ket hon voi nguoi o tinh khac lam o dau"],
    })
    assert response.status_code == 303 and "tb=added" in response.headers["location"]
    faq = kb_world.store.get(OTHER_FAQ).faq
    assert "đăng ký kết hôn với người ở tỉnh khác làm ở đâu" in faq.questions["diacritics"]
    assert "dang ky ket hon voi nguoi o tinh khac lam o dau" in faq.questions["no_diacritics"]
    assert kb_world.store.get(OTHER_FAQ).version == record.version + 1
    assert {i: v for i, v in kb_world.reviewed(ids).items()} == {i: ("added", OTHER_FAQ) for i in ids}
    after = kb_world.get(kb_world.editor, "/bien-tap/chua-tra-loi").text
    assert f'id="nhom-{ids[0]}"' not in after and f'id="nhom-{other}"' in after
    assert kb_world.audited("kb.unanswered.added", kb_world.editor)


def test_a_group_becomes_a_new_faq_or_is_dismissed(kb_world):
    ids = [kb_world.decision("nuôi chó cảnh trong chung cư có phải đăng ký với xã không", "handoff"),
           kb_world.decision("nuoi cho canh trong chung cu co phai dang ky voi xa khong", "out_of_scope")]
    form = kb_world.post(kb_world.editor, "/bien-tap/chua-tra-loi/faq-moi", {"decision_ids": ",".join(map(str, ids))})
    assert form.status_code == 200
    text = _text(form.text)
    assert "Thêm FAQ mới" in text and "Từ nhóm 2 tin nhắn" in text
    assert f'name="decision_ids" value="{",".join(map(str, sorted(ids)))}"' in form.text
    assert '<input name="question" value="nuôi chó cảnh trong chung cư có phải đăng ký với xã không"' in form.text
    assert kb_world.reviewed(ids) == {}  # nothing decided until the FAQ is created

    faq_id = f"{kb_world.inbox.prefix}_nuoi_cho"
    kb_world.created.add(faq_id)
    created = kb_world.post(kb_world.editor, "/bien-tap/moi", {
        "id": faq_id, "title": "Nuôi chó cảnh", "question": "Nuôi chó cảnh có phải đăng ký không?", "department": "van_hoa_xa_hoi",
        "topic": "Đời sống", "answer": "Anh/chị liên hệ {unit_name}.", "legal_basis": "Nghị định thử nghiệm",
        "decision_ids": ",".join(map(str, ids)), "q_diacritics": ["nuôi chó cảnh trong chung cư có phải đăng ký với xã không"],
        "q_no_diacritics": ["nuoi cho canh trong chung cu co phai dang ky voi xa khong"],  # the same folded: kept once
        "them_cach_hoi": "nuôi chó ở chung cư có phải báo xã không",
    })
    assert created.status_code == 303, _text(created.text)[:3000]
    assert kb_world.reviewed(ids) == {i: ("new_faq", faq_id) for i in ids}
    assert kb_world.store.get(faq_id).faq.questions["no_diacritics"] == ()

    noise = [kb_world.decision("trời hôm nay mưa to quá ủy ban có làm việc không nhỉ", "out_of_scope")]
    response = kb_world.post(kb_world.editor, "/bien-tap/chua-tra-loi/bo-qua", {"decision_ids": str(noise[0])})
    assert response.status_code == 303 and "tb=dismissed&so=1" in response.headers["location"]
    assert kb_world.reviewed(noise) == {noise[0]: ("dismissed", None)}
    again = kb_world.post(kb_world.editor, "/bien-tap/chua-tra-loi/bo-qua", {"decision_ids": str(noise[0])})
    assert "so=0" in again.headers["location"]  # already reviewed: nothing more to do


def test_adding_a_group_needs_a_faq_and_a_wording(kb_world):
    ids = [kb_world.decision("xin giấy phép nuôi cá sấu ở đâu", "handoff")]
    none = kb_world.post(kb_world.editor, "/bien-tap/chua-tra-loi/them", {"decision_ids": str(ids[0]), "faq_id": OTHER_FAQ})
    assert none.status_code == 400 and "ít nhất một cách hỏi" in _text(none.text)
    unknown = kb_world.post(kb_world.editor, "/bien-tap/chua-tra-loi/them",
                            {"decision_ids": str(ids[0]), "faq_id": "khong_co", "cach_hoi": "xin giấy phép nuôi cá sấu ở đâu"})
    assert unknown.status_code == 400 and "Hãy chọn FAQ" in _text(unknown.text)
    assert kb_world.reviewed(ids) == {}


# ---- "dạy bot" from a resolved ticket
def _resolved_ticket(kb_world, reply: str):
    inbox = kb_world.inbox
    officer = inbox["officer"]
    current = inbox.open_ticket("Cho hỏi làm lại giấy khai sinh bị rách thì cần gì?")
    assert inbox.post(officer, f"/inbox/tickets/{current.id}/claim").status_code == 303
    assert inbox.post(officer, f"/inbox/tickets/{current.id}/reply", {"text": reply}).status_code == 303
    return current


def _reply_id(inbox, ticket_id: int) -> int:
    return next(e.id for e in inbox.desk.events(ticket_id) if e.kind == "officer_reply")


def test_an_officer_teaches_the_bot_from_a_resolved_ticket_and_an_editor_accepts(kb_world):
    inbox = kb_world.inbox
    officer = inbox["officer"]
    reply = "Dạ, anh/chị mang giấy khai sinh cũ và CCCD đến bộ phận một cửa để được cấp bản sao trích lục ạ."
    current = _resolved_ticket(kb_world, reply)
    reply_id = _reply_id(inbox, current.id)
    page = inbox.get(officer, f"/inbox/tickets/{current.id}")
    assert "day-bot" not in page.text  # not before it is resolved
    early = kb_world.post(officer, f"/inbox/tickets/{current.id}/day-bot", {"reply_id": str(reply_id)})
    assert early.status_code == 409 and "đã xử lý xong" in _text(early.text)
    assert inbox.post(officer, f"/inbox/tickets/{current.id}/resolve").status_code == 303

    page = inbox.get(officer, f"/inbox/tickets/{current.id}")
    assert f'action="/inbox/tickets/{current.id}/day-bot"' in page.text and "Dạy bot" in page.text
    colleague_page = inbox.get(inbox["colleague"], f"/inbox/tickets/{current.id}")
    assert "day-bot" not in colleague_page.text
    refused = kb_world.post(inbox["colleague"], f"/inbox/tickets/{current.id}/day-bot", {"reply_id": str(reply_id)})
    assert refused.status_code == 403
    assert kb_world.post(kb_world.editor, f"/inbox/tickets/{current.id}/day-bot", {"reply_id": str(reply_id)}).status_code == 403

    edited = "Anh/chị mang giấy khai sinh cũ và giấy tờ tùy thân đến bộ phận một cửa."
    response = kb_world.post(officer, f"/inbox/tickets/{current.id}/day-bot", {"reply_id": str(reply_id), "answer": edited})
    assert response.status_code == 303 and response.headers["location"] == f"/inbox/tickets/{current.id}?ok=taught"
    assert "Đã gửi đề xuất dạy bot" in _text(inbox.get(officer, response.headers["location"]).text)
    twice = kb_world.post(officer, f"/inbox/tickets/{current.id}/day-bot", {"reply_id": str(reply_id)})
    assert twice.status_code == 409 and "đang chờ" in _text(twice.text)
    assert kb_world.audited("kb.suggest", officer)

    listing = kb_world.get(kb_world.editor, "/bien-tap/de-xuat")
    text = _text(listing.text)
    assert "Cho hỏi làm lại giấy khai sinh bị rách thì cần gì?" in text and edited in text and officer.staff.display_name in text  # officers read names, not log-ins
    suggestion_id = int(re.search(r'action="/bien-tap/de-xuat/(\d+)/them"', listing.text).group(1))
    assert 'class="count-pill"' in listing.text

    kb_world.touch(FAQ)
    accepted = kb_world.post(kb_world.editor, f"/bien-tap/de-xuat/{suggestion_id}/them", {"faq_id": FAQ})
    assert accepted.status_code == 303
    assert "Cho hỏi làm lại giấy khai sinh bị rách thì cần gì?" in kb_world.store.get(FAQ).faq.questions["diacritics"]
    with inbox.engine.connect() as conn:
        row = conn.execute(select(kb_suggestion).where(kb_suggestion.c.id == suggestion_id)).one()
    assert (row.status, row.faq_id, row.decided_by) == ("accepted", FAQ, kb_world.editor.staff.username)
    done = kb_world.post(kb_world.editor, f"/bien-tap/de-xuat/{suggestion_id}/bo-qua")
    assert done.status_code == 409


def test_a_proposal_opens_a_prefilled_new_faq_or_is_dismissed(kb_world):
    inbox = kb_world.inbox
    officer = inbox["officer"]
    reply = "Dạ, lệ phí cấp bản sao trích lục khai sinh là 8.000 đồng/bản ạ."
    current = _resolved_ticket(kb_world, reply)
    assert inbox.post(officer, f"/inbox/tickets/{current.id}/resolve").status_code == 303
    assert kb_world.post(officer, f"/inbox/tickets/{current.id}/day-bot", {"reply_id": str(_reply_id(inbox, current.id))}).status_code == 303
    with inbox.engine.connect() as conn:
        suggestion_id = conn.execute(select(kb_suggestion.c.id).where(kb_suggestion.c.ticket_id == current.id)).scalar_one()
    form = kb_world.get(kb_world.editor, f"/bien-tap/moi?de_xuat={suggestion_id}")
    assert form.status_code == 200
    assert reply in _text(form.text) and f'name="suggestion_id" value="{suggestion_id}"' in form.text
    assert '<option value="tu_phap_ho_tich" selected>' in form.text  # the ticket's department
    dismissed = kb_world.post(kb_world.editor, f"/bien-tap/de-xuat/{suggestion_id}/bo-qua")
    assert dismissed.status_code == 303
    with inbox.engine.connect() as conn:
        assert conn.execute(select(kb_suggestion.c.status).where(kb_suggestion.c.id == suggestion_id)).scalar_one() == "dismissed"
    assert kb_world.get(kb_world.editor, f"/bien-tap/moi?de_xuat={suggestion_id}").status_code == 409


# ---- conflicts
def test_conflicts_show_confused_pairs_from_clarifications_with_advice(kb_world):
    for text in ("khai sinh cho con bị quá hạn", "làm khai sinh muộn có bị phạt", "khai sinh quá 60 ngày"):
        kb_world.decision(text, "clarify", (FAQ, "khai_sinh_qua_han"))
    page = kb_world.get(kb_world.editor, "/bien-tap/xung-dot")
    assert page.status_code == 200
    text = _text(page.text)
    titles = {r.faq.id: r.faq.title for r in kb_world.store.all()}
    assert f"Thêm cách hỏi phân biệt hoặc từ loại trừ cho “{titles[FAQ]}” và “{titles['khai_sinh_qua_han']}”" in text
    assert "khai sinh quá 60 ngày" in text
    assert f'href="/bien-tap/faq/{FAQ}#loai-tru"' in page.text
    # Advice, not a gate: the page says none of it stops a publish, and counts the pairs at the top.
    assert "Không cặp nào chặn việc xuất bản" in text and "cần xử lý trước khi xuất bản" not in text
    assert "cặp công dân đã bị bot hỏi lại" in text
    assert "Công dân bị hỏi lại 3 lần" in text  # the three clarifications, folded under their pair
    assert text.count("Công dân bị hỏi lại 3 lần") == 1  # one folded entry per pair of FAQs


# ---- publishing, with a stand-in for the publisher
class FakePublisher:
    def __init__(self, releases: list[Release]) -> None:
        self.by_id = {r.id: r for r in releases}
        self.requested: list[str] = []
        self.rolled_back: list[int] = []

    def request(self, by: Staff) -> PublishRequest:
        ahead = sum(1 for r in self.by_id.values() if r.status in BUSY)
        release_id = max(self.by_id, default=0) + 1
        self.by_id[release_id] = _release(release_id, QUEUED, by=by.username)
        self.requested.append(by.username)
        return PublishRequest(release_id, ahead)

    def releases(self, limit: int = 20) -> list[Release]:
        return sorted(self.by_id.values(), key=lambda r: -r.id)[:limit]

    def get(self, release_id: int) -> Release:
        return self.by_id[release_id]

    async def roll_back(self, release_id: int, by: Staff | None = None) -> None:
        if not self.by_id[release_id].can_roll_back_to:
            raise ValueError("bản này không còn mô hình để quay lại")
        self.rolled_back.append((release_id, by.username if by else None))


def _release(release_id: int, status: str, by: str = "bientap", live: bool = False, model: str | None = None,
             report: dict | None = None, progress: str = "") -> Release:
    now = datetime.now(timezone.utc)
    return Release(release_id, status, None, model, None, by, now, now, None if status in BUSY else now,
                   progress, report or {}, live)


CROSS_VALIDATION = {"total": 3100, "live_correct": 2400, "live_wrong": 30, "candidate_correct": 2402, "candidate_wrong": 31,
                    "newly_wrong": [{"text": "mấy giờ rồi", "expect": "out_of_scope", "got": "gio_lam_viec"}], "lost": []}


@pytest.fixture
def fake_publisher(kb_world, tmp_path):
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"model")
    score = {"correct": 40, "wrong": 1, "total": 50, "wrong_examples": [{"text": "làm sổ đỏ", "expect": "so_do_lan_dau", "got": "tach_thua"}]}
    worse = {"correct": 38, "wrong": 3, "total": 50, "wrong_examples": [{"text": "đăng ký xe máy", "expect": "dang_ky_xe", "got": "ho_kinh_doanh"}]}
    publisher = FakePublisher([
        _release(1, RETIRED, model=str(model), report={"accepted": True, "reason": "Đạt", "live": score, "candidate": score,
                                                       "cross_validation": CROSS_VALIDATION}),
        _release(2, LIVE, live=True, model=str(model)),
        _release(3, REFUSED, report={"accepted": False, "reason": "Mô hình mới trả lời sai 3 câu, nhiều hơn mô hình đang chạy (1).",
                                     "live": score, "candidate": worse}),
        _release(4, TRAINING, progress="Huấn luyện: 40%"),
    ])
    kb_world.inbox.app.state.publisher = publisher
    yield publisher
    del kb_world.inbox.app.state.publisher


def test_the_publish_page_shows_progress_the_gate_comparison_and_rollback(kb_world, fake_publisher):
    page = kb_world.get(kb_world.editor, "/bien-tap/xuat-ban")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Huấn luyện: 40%" in text and 'data-poll="/bien-tap/api/xuat-ban/4"' in page.text
    assert "Bot mới trả lời sai 3 câu" in text and "đăng ký xe máy" in text  # the gate's reason, in an officer's words
    refused_row = page.text.split('data-release="3"')[1].split('data-release="2"')[0]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'<td class="num">(.*?)</td>', refused_row)]
    assert cells == ["40", "38", "1", "3", "50", "50"]  # live vs candidate: correct, wrong, total
    accepted_row = page.text.split('data-release="1"')[1]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'<td class="num">(.*?)</td>', accepted_row)]
    assert cells[6:] == ["2.400", "2.402", "30", "31", "3.100", "3.100"]  # the cross-validation's rows
    assert "Bot tự kiểm tra: câu mới bị trả lời sai" in _text(accepted_row) and "mấy giờ rồi" in accepted_row
    assert "Bot tự kiểm tra: 2.402/3.100 câu hỏi mẫu được trả lời đúng" in _text(accepted_row)
    assert "Kiểm định chéo" not in text and "Đang chạy" not in text
    assert 'action="/bien-tap/xuat-ban/1/quay-lai"' in page.text  # a kept model
    assert 'action="/bien-tap/xuat-ban/2/quay-lai"' not in page.text and 'action="/bien-tap/xuat-ban/3/quay-lai"' not in page.text
    assert re.search(r'<form method="post" action="/bien-tap/xuat-ban/1/quay-lai"[^>]*data-confirm="Quay lại bản #1\?', page.text)
    assert "Đang có 1 lượt xuất bản chạy hoặc chờ" in text

    status = kb_world.get(kb_world.editor, "/bien-tap/api/xuat-ban/4")
    assert status.status_code == 200
    assert status.json() == {"id": 4, "status": TRAINING, "status_name": "Đang huấn luyện", "progress": "Huấn luyện: 40%",
                             "busy": True, "live": False, "finished": ""}
    assert kb_world.get(kb_world.editor, "/bien-tap/api/xuat-ban/99").status_code == 404
    assert kb_world.get(kb_world.inbox["officer"], "/bien-tap/api/xuat-ban/4").status_code == 403


def test_the_publish_list_is_newest_first_with_one_live_state_in_words(kb_world, fake_publisher):
    # The starter model's row is written when the first publish goes live, so its id is the larger.
    fake_publisher.by_id[5] = replace(_release(5, RETIRED, by="khởi tạo"), progress="Mô hình ban đầu, từ dữ liệu mẫu")
    page = kb_world.get(kb_world.editor, "/bien-tap/xuat-ban").text
    order = [int(n) for n in re.findall(r'data-release="(\d+)"', page)]
    assert order == [4, 3, 2, 1, 5]  # newest first, the starter model last
    states = [re.sub(r"<[^>]+>", "", s) for s in re.findall(r'data-release-status>(.*?)</span>', page)]
    assert states == ["Đang huấn luyện", "Bị từ chối", "Đang phục vụ", "Đã thay thế", "Đã thay thế"]
    assert page.count("live-badge") == 1
    starter = _text(page.split('data-release="5"')[1])
    assert "Ban đầu" in starter and "Dữ liệu ban đầu" in starter and "khởi tạo" not in starter
    assert "Lý do:" in _text(page.split('data-release="3"')[1].split('data-release="2"')[0])


def test_a_publish_request_while_one_is_training_is_told_it_is_queued(kb_world, fake_publisher):
    response = kb_world.post(kb_world.editor, "/bien-tap/xuat-ban")
    assert response.status_code == 303 and "tb=queued" in response.headers["location"]
    assert fake_publisher.requested == [kb_world.editor.staff.username]  # the publisher audits it (tests/bot/faq/test_kb_audit.py)
    page = _text(kb_world.get(kb_world.editor, response.headers["location"]).text)
    assert "Đã nhận yêu cầu xuất bản #5" in page and "vào hàng đợi" in page and "1 lượt xuất bản chạy hoặc chờ trước" in page

    for release_id, release in list(fake_publisher.by_id.items()):
        if release.status in BUSY:
            fake_publisher.by_id[release_id] = replace(release, status=REFUSED)
    response = kb_world.post(kb_world.editor, "/bien-tap/xuat-ban")
    assert "tb=started" in response.headers["location"]
    assert "Đã bắt đầu xuất bản #6" in _text(kb_world.get(kb_world.editor, response.headers["location"]).text)


def test_rollback_calls_the_publisher_naming_the_editor(kb_world, fake_publisher):
    response = kb_world.post(kb_world.editor, "/bien-tap/xuat-ban/1/quay-lai")
    assert response.status_code == 303 and "tb=rolled_back&so=1" in response.headers["location"]
    assert fake_publisher.rolled_back == [(1, kb_world.editor.staff.username)]  # by whom: the publisher audits it
    refused = kb_world.post(kb_world.editor, "/bien-tap/xuat-ban/3/quay-lai")
    assert refused.status_code == 409 and "không còn mô hình" in _text(refused.text)
    assert fake_publisher.rolled_back == [(1, kb_world.editor.staff.username)]


def test_without_a_publisher_the_page_says_why(kb_world):
    assert getattr(kb_world.inbox.app.state, "publisher", None) is None
    page = kb_world.get(kb_world.editor, "/bien-tap/xuat-ban")
    assert page.status_code == 200 and "ZALO_GATEWAY=off" in page.text
    assert re.search(r'<button type="submit" class="primary" disabled>Xuất bản</button>', page.text)
    refused = kb_world.post(kb_world.editor, "/bien-tap/xuat-ban")
    assert refused.status_code == 503 and "ZALO_GATEWAY=off" in refused.text
    assert kb_world.post(kb_world.editor, "/bien-tap/xuat-ban/1/quay-lai").status_code == 503


# ---- pure helpers of the edit page
def test_the_form_reads_back_into_the_same_faq(kb_world):
    record = kb_world.store.get(FAQ)

    class Form(dict):
        def getlist(self, key):
            value = self.get(key)
            return value if isinstance(value, list) else ([] if value is None else [value])

    read = read_form(Form(form_of(record)), FAQ, record.faq.confidence)
    assert read.faq == record.faq and read.active == record.active
    crlf = read_form(Form(form_of(record, answer=record.faq.answer.replace("\n", "\r\n") + "  \r\n")), FAQ)
    assert crlf.faq.answer == record.faq.answer


def test_diff_marks_added_and_removed_lines_with_context():
    old = {"title": "A", "answer": "một\nhai\nba\nbốn\nnăm\nsáu\nbảy", "legal_basis": ["Luật 1"], "active": True, "questions": {}}
    new = {**old, "answer": "một\nhai\nba\nbốn\nNĂM\nsáu\nbảy", "active": False}
    changes = {c.field: c for c in diff(old, new)}
    assert set(changes) == {"answer", "active"}
    lines = [(line.kind, line.text) for line in changes["answer"].lines]
    assert lines == [("gap", ""), ("same", "bốn"), ("del", "năm"), ("add", "NĂM"), ("same", "sáu"), ("same", "bảy")]
    assert [(line.kind, line.text) for line in changes["active"].lines] == [("del", "Đang dùng"), ("add", "Ngừng dùng")]
    assert all(c.lines[0].kind == "add" for c in diff(None, new))


# ---- the editor on a laptop screen (issue 18)
def test_the_editor_folds_the_variants_and_a_conflict_link_opens_the_one_it_names(kb_world):
    record = kb_world.store.get(FAQ)
    style = next(s for s in QUESTION_STYLES if record.faq.questions.get(s))
    wanted = record.faq.questions[style][-1]
    plain = kb_world.get(kb_world.editor, f"/bien-tap/faq/{FAQ}").text
    assert '<details class="variant-group" open>' not in plain and 'id="cach-hoi-tim-thay"' not in plain
    assert re.search(r'<div class="action-bar"[^>]*>\s*<button type="submit" class="primary">Lưu</button>', plain)
    linked = kb_world.get(kb_world.editor, f"/bien-tap/faq/{FAQ}?tim={quote(wanted.upper())}#cach-hoi").text
    assert linked.count('<details class="variant-group" open>') == 1
    found = linked.split('id="cach-hoi-tim-thay"')[1].split("</li>")[0]
    assert html.escape(wanted, quote=True) in found or wanted in html.unescape(found)


def test_the_action_bar_says_whether_citizens_already_get_what_is_saved():
    now = datetime.now(timezone.utc)
    faq = blank_faq(question="Hỏi thử?")
    seeded = FaqRecord(faq, True, 1, now, "seed")
    edited = FaqRecord(faq, True, 3, now, "bientap")
    live = Release(7, LIVE, None, None, None, "bientap", now - timedelta(hours=1), now - timedelta(hours=1), now, "", {}, True)
    assert publish_state(seeded, live).kind == "live"
    assert publish_state(edited, live).kind == "pending" and "#7" in publish_state(edited, live).text
    assert publish_state(replace(edited, updated_at=now - timedelta(hours=2)), live).kind == "live"
    assert publish_state(edited, None).kind == "pending"
    assert publish_state(None, live).kind == "new"


def test_answers_citizens_said_did_not_help_are_shown_for_review_with_their_faq(kb_world):
    """"Câu trả lời có giúp được anh/chị không?" → "không": the question comes to the editors."""
    from sqlalchemy import delete, update as sql_update

    from bot.core.satisfaction import record_answer_feedback
    from bot.db import answer_feedback

    unhelpful = kb_world.decision("đăng ký kết hôn cần mang những gì ạ", "answer", (OTHER_FAQ,))
    helped = kb_world.decision("đăng ký kết hôn cần giấy tờ gì vậy ạ", "answer", (OTHER_FAQ,))
    with kb_world.inbox.engine.begin() as conn:
        conn.execute(sql_update(decision_log).where(decision_log.c.id.in_([unhelpful, helped])).values(faq_id=OTHER_FAQ))
        record_answer_feedback(conn, unhelpful, False, datetime.now(timezone.utc))
        record_answer_feedback(conn, helped, True, datetime.now(timezone.utc))
    try:
        page = kb_world.get(kb_world.editor, "/bien-tap/chua-tra-loi").text
        groups = re.findall(r'<input type="hidden" name="decision_ids" value="([0-9,]+)">', page)
        assert any(str(unhelpful) in g.split(",") for g in groups)
        assert not any(str(helped) in g.split(",") for g in groups)  # a helpful answer needs no review
        card = page.split(f'id="nhom-{unhelpful}"')[1].split("</article>")[0]
        assert "Đã trả lời, công dân báo chưa giúp được: 1" in _text(card)
        assert f'href="/bien-tap/faq/{OTHER_FAQ}"' in card and "công dân báo câu trả lời chưa giúp được" in _text(card)
    finally:
        with kb_world.inbox.engine.begin() as conn:
            conn.execute(delete(answer_feedback).where(answer_feedback.c.decision_id.in_([unhelpful, helped])))

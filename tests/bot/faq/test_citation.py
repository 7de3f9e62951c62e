"""A FAQ's short "Căn cứ" line (`citation`) beside its full legal basis: stored, edited, exported
and imported, and checked for length with a message an editor can act on."""
from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from bot.db import kb_faq
from bot.faq.checks import faq_problems
from bot.faq.editing import preview, read_form
from bot.faq.knowledge_base import CITATION_LIMIT, FULL_BASIS_INVITE
from bot.faq.spreadsheet import CITATION, COLUMNS, LEGAL_BASIS, export_csv, faq_cells, parse_upload, problem_column
from bot.faq.store import KnowledgeStore, read_legal_basis_column
from tests.bot.faq.test_spreadsheet import csv_of


class Form(dict):
    def getlist(self, key):
        value = self.get(key)
        return value if isinstance(value, list) else ([] if value is None else [value])


def test_the_database_keeps_the_citation_and_reads_rows_written_before_it(db_engine, kb):
    store = KnowledgeStore(db_engine)
    record = store.get("khai_sinh")
    assert record.faq.citation == kb.faqs["khai_sinh"].citation != ""
    shorter = "Luật Hộ tịch 2014; NĐ 123/2015"
    saved = store.save(replace(record.faq, citation=shorter), record.version, "bien-tap-1")
    try:
        assert saved.faq.citation == shorter and saved.faq.legal_basis == record.faq.legal_basis
        assert store.history("khai_sinh")[0].snapshot["citation"] == shorter
        assert f"Căn cứ: {shorter}." in store.knowledge_base().render_answer("khai_sinh")
        # A row stored as a plain list (before the short line existed) reads with no citation.
        with db_engine.begin() as conn:
            conn.execute(update(kb_faq).where(kb_faq.c.id == "khai_sinh")
                         .values(legal_basis=json.dumps(list(record.faq.legal_basis), ensure_ascii=False)))
            stored = conn.execute(select(kb_faq.c.legal_basis).where(kb_faq.c.id == "khai_sinh")).scalar_one()
        assert read_legal_basis_column(stored) == (record.faq.legal_basis, "")
        old = store.get("khai_sinh")
        assert old.faq.citation == "" and "Căn cứ: Luật Hộ tịch 2014 (Đ.11, 13, 15, 16); NĐ 123/2015" in \
            store.knowledge_base().render_answer("khai_sinh")
    finally:
        current = store.get("khai_sinh")
        store.save(record.faq, current.version, "test-cleanup")


def test_a_citation_over_the_limit_is_refused_with_the_column_to_fix(kb):
    faq = replace(kb.faqs["khai_sinh"], citation="Luật Hộ tịch số 60/2014/QH13 " * 8)
    problems = faq_problems(faq, kb.unit, {d.code: d.name for d in kb.departments.values()})
    [message] = [p for p in problems if "Căn cứ: …" in p]
    assert str(CITATION_LIMIT) in message and problem_column(message) == CITATION
    # Without a short line, the one derived from long full titles is checked the same way.
    titles = tuple(f"Quy chế số {i} về một việc rất dài của Ủy ban nhân dân tỉnh ban hành năm 2025" for i in range(4))
    derived = faq_problems(replace(faq, citation="", legal_basis=titles), kb.unit, set(kb.departments))
    assert any("chưa có căn cứ ngắn gọn" in p for p in derived)


def test_a_spreadsheet_without_the_citation_column_still_imports(kb):
    records = [SimpleNamespace(faq=faq, active=True) for faq in kb.faqs.values()]
    rows = [list(COLUMNS)] + [faq_cells(r.faq, r.active) for r in records]
    where = COLUMNS.index(CITATION)
    old_file = [row[:where] + row[where + 1:] for row in rows]
    result = parse_upload("kho.csv", csv_of(old_file), set(kb.departments), kb.unit)
    assert result.problems == [] and result.warnings == []
    assert [faq.citation for faq, _ in result.records] == [""] * len(records)
    assert [faq.legal_basis for faq, _ in result.records] == [r.faq.legal_basis for r in records]
    # With the column, the citations come back as exported.
    full = parse_upload("kho.csv", export_csv(records), set(kb.departments), kb.unit)
    assert full.problems == [] and [faq for faq, _ in full.records] == [r.faq for r in records]
    assert COLUMNS.index(CITATION) == COLUMNS.index(LEGAL_BASIS) + 1


def test_the_edit_form_keeps_the_citation_it_does_not_show_and_changes_the_one_it_does(kb):
    faq = kb.faqs["gio_lam_viec"]
    form = Form(title=faq.title, department=faq.department, topic=faq.topic, question=faq.question,
                answer=faq.answer, legal_basis="\n".join(faq.legal_basis), keywords="\n".join(faq.keywords))
    assert read_form(form, faq.id, faq.confidence, faq.citation).faq.citation == faq.citation
    assert read_form(Form(form, citation="  NĐ 118/2025  "), faq.id, faq.confidence, faq.citation).faq.citation == "NĐ 118/2025"
    assert read_form(Form(form, citation=""), faq.id, faq.confidence, faq.citation).faq.citation == ""


def test_the_preview_shows_the_short_line_and_the_offer_of_the_full_text(kb):
    faq = kb.faqs["gio_lam_viec"]
    shown = preview(faq, kb.unit, kb.department_name(faq.department))
    assert shown.text == kb.render_answer(faq.id)
    assert f"Căn cứ: {faq.citation}.\n{FULL_BASIS_INVITE}" in shown.text
    unfinished = preview(replace(faq, answer=faq.answer + " {chua_co}"), kb.unit, "Bộ phận Một cửa")
    assert unfinished.unknown == ("chua_co",) and f"Căn cứ: {faq.citation}." in unfinished.text


@pytest.mark.parametrize("faq_id", ["khai_sinh", "ho_ngheo"])
def test_the_full_legal_basis_lists_every_title(kb, faq_id):
    full = kb.render_legal_basis_full(faq_id)
    assert full.splitlines()[0] == f"Căn cứ pháp lý của hướng dẫn “{kb.faqs[faq_id].title}”:"
    assert full.splitlines()[1:] == [f"{i}. {t}" for i, t in enumerate(kb.faqs[faq_id].legal_basis, start=1)]


def test_the_request_for_the_full_text_is_recognised_as_citizens_type_it():
    from bot.faq.knowledge_base import FULL_BASIS_REQUEST, asks_for_full_basis

    assert FULL_BASIS_REQUEST in FULL_BASIS_INVITE
    for typed in ("xem căn cứ", "Xem can cu", "“xem căn cứ”", "Căn cứ pháp lý?", "xem căn cứ đầy đủ"):
        assert asks_for_full_basis(typed), typed
    for other in ("căn cước", "xem căn cứ làm khai sinh ở đâu", "làm căn cước cho con"):
        assert not asks_for_full_basis(other), other

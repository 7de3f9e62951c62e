"""The knowledge base in the database (SQLite and PostgreSQL): seeding, edits with history,
the optimistic version check, variants, search, all-or-nothing imports, deterministic data."""
from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import delete, select

from bot.db import kb_faq, kb_revision
from bot.faq.knowledge_base import load_knowledge_base
from bot.faq.release import export_release
from bot.faq.store import FaqInvalid, KnowledgeStore, VersionConflict, seed_faqs
from bot.faq.training_data import generated_files


@pytest.fixture
def store(db_engine):
    """The seeded store; every FAQ a test changes is put back as the files have it."""
    store = KnowledgeStore(db_engine)
    before = {r.faq.id: r for r in store.all()}
    yield store
    files = load_knowledge_base()
    with db_engine.begin() as conn:
        for record in store.all():
            if record.faq.id not in files.faqs:
                conn.execute(delete(kb_revision).where(kb_revision.c.faq_id == record.faq.id))
                conn.execute(delete(kb_faq).where(kb_faq.c.id == record.faq.id))
    for faq_id, original in before.items():
        current = store.get(faq_id)
        if current.faq != original.faq or current.active != original.active:
            store.save(original.faq, current.version, "test-cleanup", active=original.active)


def test_seeding_is_idempotent_and_gives_the_files_knowledge_base(store, db_engine):
    with db_engine.begin() as conn:
        assert seed_faqs(conn) == 0
    assert store.knowledge_base().faqs == load_knowledge_base().faqs


def test_generated_training_data_is_the_same_from_the_database_as_from_the_files(store):
    assert generated_files(store.knowledge_base()) == generated_files(load_knowledge_base())


def test_an_exported_release_is_byte_identical_each_time(store, tmp_path):
    first = export_release(store.knowledge_base(), tmp_path / "a")
    second = export_release(store.knowledge_base(), tmp_path / "b")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)
    assert load_knowledge_base(first / "data") == store.knowledge_base()


def test_an_edit_bumps_the_version_and_keeps_history(store):
    record = store.get("gio_lam_viec")
    edited = store.save(replace(record.faq, answer=record.faq.answer + "\n\nLưu ý: nghỉ trưa 11h30–13h30."), record.version, "bien-tap-1")
    assert edited.version == record.version + 1 and edited.updated_by == "bien-tap-1"
    history = store.history("gio_lam_viec")
    assert history[0].version == edited.version and history[0].action == "edit"
    assert history[0].snapshot["answer"].endswith("nghỉ trưa 11h30–13h30.")


def test_the_second_editor_is_told_and_the_first_save_stays(store):
    opened = store.get("gio_lam_viec")
    first = store.save(replace(opened.faq, title="Giờ làm việc của UBND xã"), opened.version, "bien-tap-1")
    with pytest.raises(VersionConflict) as conflict:
        store.save(replace(opened.faq, title="Giờ tiếp dân"), opened.version, "bien-tap-2")
    assert conflict.value.current.version == first.version
    assert store.get("gio_lam_viec").faq.title == "Giờ làm việc của UBND xã"


def test_an_unpublishable_faq_is_refused_in_vietnamese_and_nothing_changes(store):
    record = store.get("gio_lam_viec")
    with pytest.raises(FaqInvalid) as invalid:
        store.save(replace(record.faq, answer=" ", department="khong_co"), record.version, "bien-tap-1")
    assert "câu trả lời trống" in invalid.value.problems
    assert any("khong_co" in p for p in invalid.value.problems)
    assert store.get("gio_lam_viec").version == record.version


def test_a_question_of_another_faq_is_refused(store):
    taken = store.get("tam_tru").faq.question
    with pytest.raises(FaqInvalid, match="đã thuộc FAQ tam_tru"):
        store.add_variants("gio_lam_viec", [taken], "bien-tap-1")


def test_variants_are_added_once_with_their_style(store):
    record = store.add_variants("gio_lam_viec", ["UBND xã mấy giờ mở cửa buổi chiều", "ubnd xa may gio mo cua buoi chieu", "UBND xã mấy giờ mở cửa buổi chiều"], "bien-tap-1")
    assert record.faq.questions["diacritics"][-1] == "UBND xã mấy giờ mở cửa buổi chiều"
    assert record.faq.questions["no_diacritics"][-1] == "ubnd xa may gio mo cua buoi chieu"


def test_retire_and_activate(store):
    record = store.get("gio_lam_viec")
    retired = store.set_active("gio_lam_viec", False, record.version, "bien-tap-1")
    assert not retired.active and "gio_lam_viec" not in store.knowledge_base().faqs
    store.set_active("gio_lam_viec", True, retired.version, "bien-tap-1")
    assert "gio_lam_viec" in store.knowledge_base().faqs


def test_search_works_without_diacritics(store):
    assert [r.faq.id for r in store.search("so do")][:2] == ["so_do_lan_dau", "sang_ten_so_do"]
    assert store.search("tạm trú")[0].faq.id == "tam_tru"


def test_an_import_with_one_bad_faq_changes_nothing(store):
    before = store.all()
    records = [(r.faq, r.active) for r in before]
    records[0] = (replace(records[0][0], answer=""), True)
    with pytest.raises(FaqInvalid):
        store.replace_all(records, "bien-tap-1")
    assert store.all() == before


def test_importing_the_same_knowledge_base_changes_nothing(store):
    assert store.replace_all([(r.faq, r.active) for r in store.all()], "bien-tap-1") == 0


def test_content_hash_follows_active_content(store):
    before = store.content_hash()
    record = store.get("gio_lam_viec")
    store.save(replace(record.faq, title=record.faq.title + " (sửa)"), record.version, "bien-tap-1")
    assert store.content_hash() != before

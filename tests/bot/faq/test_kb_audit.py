"""Knowledge-base changes are audited by the service that makes them, in the change's own
transaction (SQLite and PostgreSQL): a refused change writes no audit row, a change writes
exactly one, and a failure after the audit row takes the change back with it."""
from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.db import audit_log, kb_faq, kb_revision, model_release, utc_now
from bot.faq import publish as publish_module
from bot.faq import store as store_module
from bot.faq.checks import ID, QUESTIONS
from bot.faq.publish import LIVE, RETIRED, Publisher
from bot.faq.store import FaqInvalid, KnowledgeStore, VersionConflict
from bot.handoff.staff import EDITOR, Staff, StaffDirectory
from tests.conftest import migrated_engine

FAQ = "gio_lam_viec"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def engine(request, tmp_path_factory):
    """A database of this module's own: the releases it makes live touch no other test."""
    with migrated_engine(request.param, "kb_audit", tmp_path_factory) as engine:
        yield engine


@pytest.fixture
def store(engine) -> KnowledgeStore:
    return KnowledgeStore(engine)


@pytest.fixture
def editor(engine) -> Staff:
    return StaffDirectory(engine).create(f"bt{uuid.uuid4().hex[:8]}", "Lê Thị Biên", "mat-khau-bien-tap-1", EDITOR)


def audited(engine, member: Staff) -> list[tuple[str, str, int | None]]:
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.action, audit_log.c.detail, audit_log.c.staff_id)
                            .where(audit_log.c.username == member.username).order_by(audit_log.c.id))
        return [tuple(r) for r in rows]


def revisions(engine, faq_id: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(kb_revision).where(kb_revision.c.faq_id == faq_id)).scalar_one()


def fail_after_auditing(monkeypatch, module) -> None:
    """The audit row is written, then the transaction fails (as a lost connection would)."""
    real = module.audit

    def audit_then_fail(conn, *args, **kwargs):
        real(conn, *args, **kwargs)
        raise RuntimeError("failure after the audit row, inside the transaction")

    monkeypatch.setattr(module, "audit", audit_then_fail)


# ---- the knowledge store
def test_a_save_writes_one_audit_row_naming_the_editor(engine, store, editor):
    record = store.get(FAQ)
    saved = store.save(replace(record.faq, title=record.faq.title + " (sửa)"), record.version, editor)
    assert saved.version == record.version + 1 and saved.updated_by == editor.username
    assert audited(engine, editor) == [("kb.edit", f"{FAQ}: phiên bản {saved.version}", editor.id)]
    store.save(record.faq, saved.version, editor)


def test_a_refused_save_writes_no_audit_row(engine, store, editor):
    record = store.get(FAQ)
    before = revisions(engine, FAQ)
    with pytest.raises(VersionConflict):
        store.save(replace(record.faq, title="Giờ tiếp dân"), record.version - 1, editor)
    with pytest.raises(FaqInvalid) as invalid:
        store.save(replace(record.faq, answer=" "), record.version, editor)
    assert [p.field for p in invalid.value.problems] == ["answer"]
    with pytest.raises(FaqInvalid) as taken:
        store.create(replace(record.faq, title="Bản sao"), editor)
    assert [(p.field, p.code) for p in taken.value.problems] == [(ID, "id_taken")]
    other = store.get("khai_sinh").faq
    with pytest.raises(FaqInvalid) as shared:
        store.add_variants(FAQ, [other.question], editor)
    assert [p.field for p in shared.value.problems] == [QUESTIONS]
    assert audited(engine, editor) == []
    assert store.get(FAQ).version == record.version and revisions(engine, FAQ) == before


def test_a_failure_after_the_audit_row_takes_the_save_back_too(engine, store, editor, monkeypatch):
    record = store.get(FAQ)
    before = revisions(engine, FAQ)
    fail_after_auditing(monkeypatch, store_module)
    with pytest.raises(RuntimeError, match="after the audit row"):
        store.save(replace(record.faq, title="Không được lưu"), record.version, editor)
    with pytest.raises(RuntimeError, match="after the audit row"):
        store.create(replace(record.faq, id="faq_khong_duoc_tao", question="Câu hỏi chưa ai hỏi bao giờ?",
                             questions={"diacritics": ("Câu hỏi thử thứ nhất?", "Câu hỏi thử thứ hai?")}), editor)
    with pytest.raises(RuntimeError, match="after the audit row"):
        store.replace_all([(r.faq, False) for r in store.all()], editor, checked=True)
    assert audited(engine, editor) == []
    assert store.get(FAQ) == record and revisions(engine, FAQ) == before
    with engine.connect() as conn:
        assert conn.execute(select(kb_faq.c.id).where(kb_faq.c.id == "faq_khong_duoc_tao")).first() is None
        assert conn.execute(select(func.count()).select_from(kb_faq).where(kb_faq.c.active.is_(False))).scalar_one() == 0


def test_variants_retiring_and_an_import_are_each_audited_once(engine, store, editor):
    record = store.get(FAQ)
    added = store.add_variants(FAQ, ["xã làm việc mấy giờ vậy ạ", "xa lam viec may gio vay a"], editor)
    retired = store.set_active(FAQ, False, added.version, editor)
    back = store.set_active(FAQ, True, retired.version, editor)
    everything = [(r.faq, r.active) for r in store.all()]
    assert store.replace_all(everything, editor, checked=True, source="kho.xlsx") == 0
    assert [(action, detail) for action, detail, _ in audited(engine, editor)] == [
        ("kb.add_variants", f"{FAQ}: phiên bản {added.version}, thêm 2 cách hỏi"),
        ("kb.retire", f"{FAQ}: phiên bản {retired.version}"),
        ("kb.activate", f"{FAQ}: phiên bản {back.version}"),
        ("kb.import", f"kho.xlsx: {len(everything)} FAQ, 0 thay đổi (thêm 0, sửa 0, ngừng dùng 0)"),
    ]
    store.save(record.faq, back.version, editor)


def test_a_refused_import_writes_no_audit_row(engine, store, editor):
    records = [(r.faq, r.active) for r in store.all()]
    broken = [(replace(records[0][0], answer=""), True), *records[1:]]
    with pytest.raises(FaqInvalid) as refused:
        store.replace_all(broken, editor)
    assert refused.value.problems[0].startswith(f"{records[0][0].id}: ") and refused.value.problems[0].field == "answer"
    assert audited(engine, editor) == []


# ---- publishing and rolling back
class ServingAtOnce:
    """A Rasa fleet that serves whatever it is offered."""

    async def wait_until_serving(self, model_file: str, progress=None) -> dict[str, float]:
        return {"http://rasa": 0.1}


@pytest.fixture
def publisher(engine, tmp_path) -> Publisher:
    return Publisher(engine, "http://127.0.0.1", fleet=ServingAtOnce(), releases_dir=tmp_path / "releases",
                     models_dir=tmp_path / "models")


def _release(engine, model: Path, status: str, live: bool) -> int:
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_bytes(b"model")
    with engine.begin() as conn:
        return int(conn.execute(insert(model_release).values(
            status=status, fingerprint=model.name[:-7], model_path=str(model), data_dir=str(model.parent),
            requested_by="bien-tap", requested_at=utc_now(), finished_at=utc_now(), progress="", report="{}", live=live,
        )).inserted_primary_key[0])


def _release_ids(engine) -> list[int]:
    with engine.connect() as conn:
        return conn.execute(select(model_release.c.id).order_by(model_release.c.id)).scalars().all()


def test_a_publish_request_is_audited_in_its_own_transaction(engine, publisher, editor, monkeypatch):
    asked = publisher.request(editor)
    assert audited(engine, editor) == [("kb.publish", f"#{asked.release_id}" + (
        f" (xếp hàng sau {asked.ahead} lượt)" if asked.ahead else ""), editor.id)]
    before = _release_ids(engine)
    fail_after_auditing(monkeypatch, publish_module)
    with pytest.raises(RuntimeError, match="after the audit row"):
        publisher.request(editor)
    assert _release_ids(engine) == before and len(audited(engine, editor)) == 1


def test_a_rollback_is_audited_in_the_transaction_that_makes_it_live(engine, publisher, editor, tmp_path, monkeypatch):
    live = _release(engine, tmp_path / "models" / "live0fp.tar.gz", LIVE, True)
    older = _release(engine, tmp_path / "models" / "older0fp.tar.gz", RETIRED, False)

    fail_after_auditing(monkeypatch, publish_module)
    with pytest.raises(RuntimeError, match="after the audit row"):
        asyncio.run(publisher.roll_back(older, by=editor))
    assert publisher.get(live).live and not publisher.get(older).live
    assert audited(engine, editor) == []

    monkeypatch.undo()
    asyncio.run(publisher.roll_back(older, by=editor))
    assert publisher.get(older).live and not publisher.get(live).live
    assert audited(engine, editor) == [("kb.rollback", f"#{older}", editor.id)]
    asyncio.run(publisher.roll_back(live, by=editor))  # the module's database as it was

"""Migration 0012 on both databases: every FAQ already stored gets `covers` = "[]" (its answer was
written for the general case until an editor says otherwise); the downgrade drops the column and
keeps the rest of the FAQ."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from tests.conftest import migrate

AT = datetime(2026, 12, 9, tzinfo=timezone.utc)
FAQ_COLUMNS = ("id", "department_code", "topic", "title", "question", "answer", "legal_basis", "keywords", "excludes",
               "confidence", "active", "version", "updated_at", "updated_by")


def _columns(engine) -> set[str]:
    with engine.connect() as conn:
        return {c["name"] for c in sa.inspect(conn).get_columns("kb_faq")}


def test_stored_faqs_cover_nothing_after_the_upgrade_and_keep_their_content_after_the_downgrade(bare_engine):
    migrate(bare_engine, "upgrade", "0011")
    kb_faq = sa.table("kb_faq", *(sa.column(c) for c in FAQ_COLUMNS))
    faq = {"id": "tam_tru", "department_code": "cong_an", "topic": "Cư trú", "title": "Đăng ký tạm trú",
           "question": "Đăng ký tạm trú thế nào?", "answer": "Anh/chị nộp hồ sơ tại Công an xã.",
           "legal_basis": '["Luật Cư trú 2020"]', "keywords": '["tạm trú"]', "excludes": "[]", "confidence": "high",
           "active": True, "version": 3, "updated_at": AT, "updated_by": "bien-tap"}
    with bare_engine.begin() as conn:
        conn.execute(kb_faq.insert(), [faq])
    assert "covers" not in _columns(bare_engine)

    migrate(bare_engine, "upgrade", "0012")
    with bare_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT covers FROM kb_faq WHERE id = 'tam_tru'")).scalar_one() == "[]"
    with bare_engine.begin() as conn:  # a FAQ written without naming the column gets the default too
        conn.execute(kb_faq.insert(), [{**faq, "id": "ket_hon"}])
        conn.execute(sa.text("""UPDATE kb_faq SET covers = '["change"]' WHERE id = 'tam_tru'"""))
    with bare_engine.connect() as conn:
        assert dict(conn.execute(sa.text("SELECT id, covers FROM kb_faq")).all()) == {"tam_tru": '["change"]', "ket_hon": "[]"}

    migrate(bare_engine, "downgrade", "0011")
    assert "covers" not in _columns(bare_engine)
    with bare_engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, answer, version FROM kb_faq ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("ket_hon", faq["answer"], 3), ("tam_tru", faq["answer"], 3)]

    migrate(bare_engine, "upgrade", "0012")  # and up again, cleanly
    assert "covers" in _columns(bare_engine)

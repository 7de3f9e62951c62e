import json

from sqlalchemy import select

from bot.db import decision_log, record_decision
from bot.decision import Decision


def test_a_decision_is_recorded(db):
    decision = Decision("handoff", "request_human", 0.97, None, "van_phong", ("khai_sinh",), "request_human")
    row_id = record_decision(db, "user-1", "rest", "cho tôi gặp cán bộ", decision)
    row = db.execute(select(decision_log).where(decision_log.c.id == row_id)).one()
    assert (row.decision, row.department, row.reason) == ("handoff", "van_phong", "request_human")
    assert json.loads(row.candidates) == ["khai_sinh"]
    assert row.text == "cho tôi gặp cán bộ"


def test_text_no_database_accepts_is_stored_cleaned(db):
    decision = Decision("out_of_scope", "nlu_fallback", 0.0, reason="no_words")
    row_id = record_decision(db, "user-2", "rest", "a\ud800b\x00c", decision)
    stored = db.execute(select(decision_log.c.text).where(decision_log.c.id == row_id)).scalar_one()
    assert stored == "a?bc"

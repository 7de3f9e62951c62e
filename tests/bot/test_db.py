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


class OperationalError(Exception):
    """Named as psycopg2's and sqlite3's: what a lost or refused connection raises."""


def test_a_write_waits_out_a_database_that_restarts():
    from sqlalchemy.exc import OperationalError as Lost

    from bot.db import when_reachable

    calls = []

    def write():
        calls.append(1)
        if len(calls) < 3:
            raise Lost("INSERT …", {}, OperationalError("the database system is starting up"))
        return "recorded"

    assert when_reachable(write, patience=5, pause=0.01) == "recorded"
    assert len(calls) == 3


def test_a_write_that_is_wrong_or_outlasts_the_patience_fails_at_once():
    import pytest
    from sqlalchemy.exc import IntegrityError, OperationalError as Lost

    from bot.db import when_reachable

    def duplicate():
        raise IntegrityError("INSERT …", {}, Exception("duplicate key"))

    with pytest.raises(IntegrityError):
        when_reachable(duplicate, patience=5, pause=0.01)

    def down():
        raise Lost("INSERT …", {}, OperationalError("connection refused"))

    with pytest.raises(Lost):
        when_reachable(down, patience=0.05, pause=0.01)
